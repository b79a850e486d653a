/**
 * `pnpm bench` (second part): the join through WordPress (the PHP proxy) against the cheapest
 * authenticated WordPress REST route, same cookie + nonce, same php -S workers. Prints p50/p99
 * and the p50 the proxy adds.
 */
import { fileURLToPath } from 'node:url';

import { siteLocal, startStack } from '../src/stack';

const CONNECTIONS = Number( process.env.BENCH_WP_CONNECTIONS ?? 4 );
const DURATION = Number( process.env.BENCH_DURATION ?? 10 );
const TZ = 'Europe/Berlin';

interface Result {
	rps: number;
	p50: number;
	p99: number;
	failed: number;
}

/**
 * A bounded closed-loop load: `connections` loops, each sending the next request when the last
 * answered, for `seconds`. (autocannon cannot be used: php -S closes every connection.)
 */
async function run( url: string, headers: Record< string, string >, connections: number, seconds: number ): Promise< Result > {
	const latencies: number[] = [];
	let failed = 0;
	const until = Date.now() + seconds * 1000;
	await Promise.all(
		Array.from( { length: connections }, async () => {
			while ( Date.now() < until ) {
				const t = performance.now();
				const res = await fetch( url, { method: 'POST', headers, body: '{}' } );
				await res.arrayBuffer();
				latencies.push( performance.now() - t );
				if ( res.status !== 200 ) {
					failed++;
				}
			}
		} )
	);
	latencies.sort( ( a, b ) => a - b );
	const at = ( q: number ) => latencies[ Math.min( latencies.length - 1, Math.floor( q * latencies.length ) ) ] ?? 0;
	return { rps: latencies.length / seconds, p50: at( 0.5 ), p99: at( 0.99 ), failed };
}

const stack = await startStack( {
	timezone: TZ,
	muPlugins: [ fileURLToPath( new URL( '../fixtures/bkx-bench-ping.php', import.meta.url ) ) ],
	sidecarEnv: { BKX_VIDEO_LOG_LEVEL: 'error', BKX_VIDEO_CACHE_TTL_SECONDS: '5' },
} );
try {
	const { site } = stack;
	await site.bookings.create( {
		serviceId: site.fixtures.videoServiceId,
		seatId: site.fixtures.seatId,
		start: siteLocal( new Date( Date.now() + 5 * 60_000 ), TZ ),
		customer: { first_name: 'Bench', last_name: 'Customer', email: site.users.customer.email, phone: '1' },
		as: 'customer',
	} );
	await stack.settle();
	const id = Number( await site.php( `global $wpdb; echo (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}bkx_video_consultations" );` ) );
	const session = await site.login( 'customer' );
	const headers = { cookie: session.cookieHeader, 'x-wp-nonce': session.nonce, 'content-type': 'application/json' };
	const check = await site.rest( `/bookingx/v1/video/consultations/${ id }/join`, { method: 'POST', as: session } );
	if ( check.status !== 200 ) {
		throw new Error( `join through WordPress answered ${ check.status }: ${ check.text }` );
	}
	const url = ( path: string ) => `${ site.url }/wp-json${ path }`;
	await run( url( '/bkx-bench/v1/ping' ), headers, CONNECTIONS, 2 );
	const bare = await run( url( '/bkx-bench/v1/ping' ), headers, CONNECTIONS, DURATION );
	const join = await run( url( `/bookingx/v1/video/consultations/${ id }/join` ), headers, CONNECTIONS, DURATION );
	const row = ( name: string, r: Result ) =>
		`${ name.padEnd( 44 ) } ${ r.rps.toFixed( 1 ).padStart( 7 ) } req/s   p50 ${ r.p50.toFixed( 1 ).padStart( 6 ) } ms   p99 ${ r.p99.toFixed( 1 ).padStart( 6 ) } ms   non-2xx ${ r.failed }`;
	process.stdout.write(
		[
			`WordPress proxy benchmark (php -S, 4 workers, ${ CONNECTIONS } connections, ${ DURATION } s each, one run)`,
			row( 'bare WordPress REST route (logged in)', bare ),
			row( 'join through the plugin proxy + sidecar', join ),
			`p50 added by the proxy: ${ ( join.p50 - bare.p50 ).toFixed( 1 ) } ms   (throughput ratio ${ ( join.rps / bare.rps ).toFixed( 2 ) })`,
			'',
		].join( '\n' )
	);
} finally {
	await stack.stop();
}

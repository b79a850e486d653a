/**
 * `pnpm bench`: the join endpoint (identity verified, policy checked, consultation read, Jitsi
 * token minted) against a bare Fastify route of the same server, 50 connections × 10 s each, on
 * a fresh MariaDB database. Prints requests/s, p50/p99 and the ratio (goal: ≥ 0.5, p99 ≤ 25 ms),
 * and the server's CPU time per request (Linux), steadier than req/s when other work shares the
 * machine. BENCH_PROFILE=1 writes the server's CPU profile to /tmp/prof.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import autocannon from 'autocannon';
import { DateTime } from 'luxon';

import { buildApp } from '../src/app';
import { migrateLatest } from '../src/db/migrate';
import { ADMIN, PREFIX, SECRET, bookingx, call, createTestDatabase, createWordPressTables, testConfig } from '../test/helper';

const CONNECTIONS = Number( process.env.BENCH_CONNECTIONS ?? 50 );
const DURATION = Number( process.env.BENCH_DURATION ?? 10 );

function b64url( value: string | Buffer ): string {
	return Buffer.from( value ).toString( 'base64url' );
}

/** Pre-signed identities (unique jti each), so signing costs nothing during the run. */
function identities( count: number, who: { sub: number; email: string }, method: string, path: string ): string[] {
	const header = b64url( JSON.stringify( { alg: 'HS256', typ: 'JWT' } ) );
	const bodyHash = createHash( 'sha256' ).update( '' ).digest( 'hex' );
	const out: string[] = [];
	for ( let i = 0; i < count; i++ ) {
		const iat = Math.floor( Date.now() / 1000 );
		const payload = b64url(
			JSON.stringify( { sub: who.sub, roles: [ 'subscriber' ], caps: [], email: who.email, name: 'Bench', method, path, body_sha256: bodyHash, iat, exp: iat + 55, jti: randomBytes( 16 ).toString( 'hex' ) } )
		);
		const sig = createHmac( 'sha256', SECRET ).update( `${ header }.${ payload }` ).digest( 'base64url' );
		out.push( `${ header }.${ payload }.${ sig }` );
	}
	return out;
}

/** User and system CPU seconds the server process has used so far (Linux /proc; null elsewhere). */
function cpuSeconds( pid: number | undefined ): { user: number; system: number } | null {
	try {
		// Fields after the parenthesised command name; utime and stime are the 12th and 13th (clock ticks, 100/s).
		const fields = readFileSync( `/proc/${ pid }/stat`, 'utf8' ).split( ') ' )[ 1 ]!.split( ' ' );
		return { user: Number( fields[ 11 ] ) / 100, system: Number( fields[ 12 ] ) / 100 };
	} catch {
		return null;
	}
}

async function run( opts: autocannon.Options ): Promise< autocannon.Result > {
	return new Promise( ( resolve, reject ) => {
		autocannon( opts, ( error, result ) => ( error ? reject( error ) : resolve( result ) ) );
	} );
}

async function main(): Promise< void > {
	const db = await createTestDatabase();
	let child: ReturnType< typeof spawn > | null = null;
	try {
		await createWordPressTables( db.knex );
		await db.knex( `${ PREFIX }options` ).insert( { option_name: 'timezone_string', option_value: 'Europe/Berlin' } );
		const config = testConfig( db.name );
		const setupApp = await buildApp( { config, knex: db.knex, logger: false } );
		await migrateLatest( db.knex, setupApp.tables );
		await call( setupApp, ADMIN, 'PUT', '/v1/settings', { jitsi_enabled: true, zoom_enabled: false, default_platform: 'jitsi', jitsi_app_id: 'bench', jitsi_app_secret: 'bench-secret-0123456789' } );
		const bx = bookingx( db.knex );
		const customer = await bx.user( 'customer', 'customer@example.test', 'Cara Customer' );
		const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Provider' );
		const seat = await bx.seat( 'Dr. Provider', provider );
		const service = await bx.service( 'Video consultation', true );
		const start = DateTime.now().setZone( 'Europe/Berlin' ).plus( { minutes: 2 } );
		const booking = await bx.booking( {
			serviceId: service,
			seatId: seat,
			start: start.toFormat( 'yyyy-MM-dd HH:mm:ss' ),
			end: start.plus( { minutes: 60 } ).toFormat( 'yyyy-MM-dd HH:mm:ss' ),
			email: 'customer@example.test',
		} );
		await setupApp.services.sync.syncBooking( booking );
		const consultation = await db.knex( `${ PREFIX }bkx_video_consultations` ).first( 'id' ).where( 'booking_id', booking );
		await setupApp.close();

		child = spawn( process.execPath, [ ...( process.env.BENCH_PROFILE ? [ '--cpu-prof', '--cpu-prof-dir=/tmp/prof' ] : [] ), '--import', 'tsx', 'bench/server.ts' ], {
			env: {
				...process.env,
				BKX_VIDEO_SIDECAR_SECRET: SECRET,
				BKX_VIDEO_ENCRYPTION_KEY: config.encryptionKey.toString( 'hex' ),
				BKX_VIDEO_SITE_URL: 'http://127.0.0.1:9',
				BKX_VIDEO_DB_NAME: db.name,
				BKX_VIDEO_LOG_LEVEL: 'silent',
			},
			stdio: [ 'ignore', 'pipe', 'inherit' ],
		} );
		const [ line ] = ( await once( createInterface( { input: child.stdout! } ), 'line' ) ) as [ string ];
		const { port } = JSON.parse( line ) as { port: number };
		const base = `http://127.0.0.1:${ port }`;

		const path = `/v1/consultations/${ consultation.id }/join`;
		// Warm up both routes (JIT, pool, caches) before measuring.
		await run( { url: `${ base }/bare`, connections: 10, duration: 2 } );
		const warm = identities( 3000, { sub: customer, email: 'customer@example.test' }, 'POST', path );
		let w = 0;
		await run( { url: base, connections: 10, duration: 2, requests: [ { method: 'POST', path, setupRequest: ( req ) => ( { ...req, headers: { ...req.headers, 'x-bkx-identity': warm[ w++ % warm.length ]! } } ) } ] } );

		// Both runs send the same request shape (a fresh identity header per request, built by the
		// same client code), so the ratio measures the server, not the load generator.
		const budget = 40_000 * DURATION;
		const bareTokens = identities( budget, { sub: customer, email: 'customer@example.test' }, 'GET', '/bare' );
		let b = 0;
		const bareCpu = cpuSeconds( child.pid );
		const bare = await run( {
			url: base,
			connections: CONNECTIONS,
			duration: DURATION,
			requests: [ { method: 'GET', path: '/bare', setupRequest: ( req ) => ( { ...req, headers: { ...req.headers, 'x-bkx-identity': bareTokens[ b++ % budget ]! } } ) } ],
		} );
		const tokens = identities( Math.ceil( bare.requests.average * DURATION * 1.2 ) + 1000, { sub: customer, email: 'customer@example.test' }, 'POST', path );
		let i = 0;
		const bareCpuAfter = cpuSeconds( child.pid );
		const join = await run( {
			url: base,
			connections: CONNECTIONS,
			duration: DURATION,
			requests: [ { method: 'POST', path, setupRequest: ( req ) => ( { ...req, headers: { ...req.headers, 'x-bkx-identity': tokens[ i++ ]! } } ) } ],
		} );

		const joinCpuAfter = cpuSeconds( child.pid );
		// Server CPU per answered request: steadier than req/s when other work shares the machine.
		const perRequest = ( before: typeof bareCpu, after: typeof bareCpu, r: autocannon.Result ) =>
			before && after && r.requests.total
				? `   server CPU ${ ( ( ( after.user - before.user ) * 1e6 ) / r.requests.total ).toFixed( 0 ) }+${ ( ( ( after.system - before.system ) * 1e6 ) / r.requests.total ).toFixed( 0 ) } µs/req (user+sys)`
				: '';
		const row = ( name: string, r: autocannon.Result, cpu: string ) =>
			`${ name.padEnd( 32 ) } ${ r.requests.average.toFixed( 0 ).padStart( 6 ) } req/s   p50 ${ String( r.latency.p50 ).padStart( 3 ) } ms   p99 ${ String( r.latency.p99 ).padStart( 3 ) } ms   non-2xx ${ r.non2xx }   errors ${ r.errors }${ cpu }`;
		const ratio = join.requests.average / bare.requests.average;
		process.stdout.write(
			[
				`Sidecar join benchmark (${ CONNECTIONS } connections, ${ DURATION } s each, one run)`,
				row( 'bare Fastify route', bare, perRequest( bareCpu, bareCpuAfter, bare ) ),
				row( 'POST /v1/consultations/:id/join', join, perRequest( bareCpuAfter, joinCpuAfter, join ) ),
				`ratio join/bare: ${ ratio.toFixed( 2 ) } (goal >= 0.50)   join p99: ${ join.latency.p99 } ms (goal <= 25 ms)`,
				'',
			].join( '\n' )
		);
		if ( join.non2xx > 0 || i > tokens.length ) {
			process.stdout.write( `WARNING: ${ join.non2xx } non-2xx answers during the join run\n` );
		}
	} finally {
		child?.kill( 'SIGTERM' );
		await db.drop();
	}
}

await main();

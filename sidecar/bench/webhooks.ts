/**
 * `pnpm bench` (issue 5): Zoom webhook ingest. Signed `meeting.participant_joined` deliveries, as
 * Zoom sends them (v0 signature over the raw body), 20 % of them repeats of an earlier delivery (Zoom's
 * retries), posted to the real sidecar (bench/server.ts in a child process, its jobs running as in
 * production) by 50 connections for BENCH_DURATION seconds (default 10), on a fresh database.
 *
 * Prints: deliveries/s answered 200 (goal ≥ 2,000/s), p50/p99 answer time (goal p99 ≤ 50 ms), and,
 * once the queued work has run (waiting at most BENCH_APPLY_WAIT_SECONDS, default 240), whether any
 * event was applied twice (participant stays per unique join = 1; goal: none doubled, none lost) and
 * how fast the queue drained once the load stopped. BENCH_SIDECAR_NODE_ARGS passes flags to the sidecar's node
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import autocannon from 'autocannon';
import { signZoomWebhook, zoomMeetingEvent } from '@bkx-video/platform-fakes';

import { buildApp } from '../src/app';
import { migrateLatest } from '../src/db/migrate';
import { toSqlDateTime } from '../src/db/time';
import { ADMIN, PREFIX, SECRET, call, createTestDatabase, createWordPressTables, testConfig } from '../test/helper';

const CONNECTIONS = Number( process.env.BENCH_CONNECTIONS ?? 50 );
const DURATION = Number( process.env.BENCH_DURATION ?? 10 );
const MEETINGS = 100;
const WEBHOOK_SECRET = 'bench-zoom-webhook-secret-0123';

const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

async function main(): Promise< void > {
	const db = await createTestDatabase();
	let child: ReturnType< typeof spawn > | null = null;
	try {
		await createWordPressTables( db.knex );
		const config = testConfig( db.name );
		const setupApp = await buildApp( { config, knex: db.knex, logger: false } );
		await migrateLatest( db.knex, setupApp.tables );
		const res = await call( setupApp, ADMIN, 'PUT', '/v1/settings', { zoom_enabled: true, default_platform: 'zoom', zoom_webhook_secret: WEBHOOK_SECRET } );
		await setupApp.close();
		if ( res.status !== 200 ) {
			throw new Error( `settings were refused: ${ JSON.stringify( res.json ) }` );
		}
		// Consultations with Zoom meetings, as the booking sync leaves them.
		const start = new Date( Date.now() + 3600_000 );
		const now = toSqlDateTime( new Date() );
		await db.knex( `${ PREFIX }bkx_video_consultations` ).insert(
			Array.from( { length: MEETINGS }, ( _, i ) => ( {
				booking_id: 1000 + i,
				platform: 'zoom',
				meeting_id: String( 80000000000 + i ),
				join_url: `https://zoom.example.test/j/${ 80000000000 + i }`,
				duration_minutes: 30,
				scheduled_start: toSqlDateTime( start ),
				scheduled_end: toSqlDateTime( new Date( start.getTime() + 1800_000 ) ),
				status: 'scheduled',
				host_id: 1,
				created_at: now,
				updated_at: now,
			} ) )
		);

		const nodeArgs = ( process.env.BENCH_SIDECAR_NODE_ARGS ?? '' ).split( ' ' ).filter( Boolean );
		child = spawn( process.execPath, [ ...nodeArgs, '--import', 'tsx', 'bench/server.ts' ], {
			env: {
				...process.env,
				BKX_VIDEO_SIDECAR_SECRET: SECRET,
				BKX_VIDEO_ENCRYPTION_KEY: config.encryptionKey.toString( 'hex' ),
				BKX_VIDEO_SITE_URL: 'http://127.0.0.1:9',
				BKX_VIDEO_DB_NAME: db.name,
				BKX_VIDEO_LOG_LEVEL: 'silent',
				BENCH_WORKERS: '1',
			},
			stdio: [ 'ignore', 'pipe', 'inherit' ],
		} );
		const [ line ] = ( await once( createInterface( { input: child.stdout! } ), 'line' ) ) as [ string ];
		const { port } = JSON.parse( line ) as { port: number };
		const base = `http://127.0.0.1:${ port }`;

		// Deliveries signed ahead (signing is Zoom's cost, not ours): one join per participant,
		// spread over the meetings; every fifth delivery repeats one sent before.
		const budget = 6000 * DURATION;
		const unique: Array< { body: string; headers: Record< string, string > } > = [];
		const sequence: number[] = [];
		for ( let i = 0; sequence.length < budget; i++ ) {
			if ( i % 5 === 4 && unique.length ) {
				sequence.push( Math.floor( Math.random() * unique.length ) );
				continue;
			}
			const n = unique.length;
			const meetingId = String( 80000000000 + ( n % MEETINGS ) );
			const envelope = zoomMeetingEvent(
				{ id: meetingId, uuid: `uuid-${ meetingId }==`, host_id: 'bench-host', topic: 'Bench', type: 2, start_time: start.toISOString(), duration: 30, timezone: 'UTC' },
				'meeting.participant_joined',
				{ at: new Date( start.getTime() + ( n % 1800 ) * 1000 ), participant: { user_name: `Guest ${ n }`, participant_uuid: `p-${ n }`, user_id: String( n ) } }
			);
			unique.push( signZoomWebhook( WEBHOOK_SECRET, envelope ) );
			sequence.push( n );
		}
		let next = 0;
		const sent = new Set< number >();
		const result = await new Promise< autocannon.Result >( ( resolve, reject ) => {
			autocannon(
				{
					url: base,
					connections: CONNECTIONS,
					duration: DURATION,
					requests: [
						{
							method: 'POST',
							path: '/webhooks/zoom',
							setupRequest: ( req ) => {
								const k = sequence[ next++ % sequence.length ]!;
								sent.add( k );
								const d = unique[ k ]!;
								return { ...req, headers: { ...req.headers, ...d.headers }, body: d.body };
							},
						},
					],
				},
				( error, r ) => ( error ? reject( error ) : resolve( r ) )
			);
		} );

		// Let the queued work finish (bounded: BENCH_APPLY_WAIT_SECONDS, default 240), then count
		// what was applied and how fast the queue drained after the load stopped.
		const table = ( name: string ) => `${ PREFIX }bkx_video_${ name }`;
		const waitSeconds = Number( process.env.BENCH_APPLY_WAIT_SECONDS ?? 240 );
		const drainStart = performance.now();
		const doneAtEnd = Number( ( await db.knex( table( 'jobs' ) ).count( { n: '*' } ).where( 'status', 'done' ).first() )?.n ?? 0 );
		let pending = 1;
		for ( let i = 0; i < waitSeconds * 10 && pending > 0; i++ ) {
			pending = Number( ( await db.knex( table( 'jobs' ) ).count( { n: '*' } ).whereNot( 'status', 'done' ).first() )?.n ?? 0 );
			if ( pending ) {
				await sleep( 100 );
			}
		}
		if ( pending ) {
			const stuck = ( await db.knex( table( 'jobs' ) ).select( 'kind', 'status', 'attempts', 'last_error' ).count( { n: '*' } ).whereNot( 'status', 'done' ).groupBy( 'kind', 'status', 'attempts', 'last_error' ) ) as Array< Record< string, unknown > >;
			process.stderr.write( `jobs not done: ${ JSON.stringify( stuck ).slice( 0, 1500 ) }\n` );
		}
		const drainSeconds = ( performance.now() - drainStart ) / 1000;
		const doneAfter = Number( ( await db.knex( table( 'jobs' ) ).count( { n: '*' } ).where( 'status', 'done' ).first() )?.n ?? 0 );
		const stays = ( await db.knex( table( 'participants' ) ).select( 'platform_participant_id' ).count( { n: '*' } ).groupBy( 'platform_participant_id' ) ) as Array< { platform_participant_id: string; n: number } >;
		const doubled = stays.filter( ( s ) => Number( s.n ) > 1 ).length;
		const applied = stays.length;
		const stored = Number( ( await db.knex( table( 'webhook_events' ) ).count( { n: '*' } ).first() )?.n ?? 0 );
		const ok = ( pass: boolean ) => ( pass ? 'ok' : 'MISSED' );
		const rate = ( result.requests.total - result.non2xx ) / DURATION;
		process.stdout.write(
			[
				`Sidecar Zoom webhook ingest (${ CONNECTIONS } connections, ${ DURATION } s, 20 % duplicate deliveries, jobs running as in production)`,
				`answered ${ result.requests.total } deliveries (${ sent.size } distinct events), non-2xx ${ result.non2xx }, errors ${ result.errors }`,
				`verified and stored: ${ rate.toFixed( 0 ) }/s (goal >= 2000/s) ${ ok( rate >= 2000 ) }; p50 ${ result.latency.p50 } ms, p99 ${ result.latency.p99 } ms (goal p99 <= 50 ms) ${ ok( result.latency.p99 <= 50 ) }`,
				`events recorded once: ${ stored } of ${ sent.size }; applied: ${ applied } participants, doubled ${ doubled } (goal 0) ${ ok( doubled === 0 && applied === sent.size ) }${ pending ? `; ${ pending } jobs still queued after ${ waitSeconds } s` : '' }`,
				`queue after the load: ${ doneAtEnd } jobs done during it, the other ${ doneAfter - doneAtEnd } in ${ drainSeconds.toFixed( 1 ) } s after it (${ ( ( doneAfter - doneAtEnd ) / Math.max( drainSeconds, 0.001 ) ).toFixed( 0 ) } jobs/s)`,
				'',
			].join( '\n' )
		);
	} finally {
		child?.kill( 'SIGTERM' );
		await db.drop();
	}
}

await main();

/**
 * The outbox consumer and job runner as production runs them, against the Zoom fake: syncs run
 * several at a time (up to BKX_VIDEO_SYNC_CONCURRENCY, 4 here), one booking's failure stays its own, a 429 pauses the
 * instance until Retry-After (the queue does not hammer a limited API) and the instance wakes
 * itself up then, and a burst of nudges does not make job claims deadlock.
 *
 * The app runs on the real clock here: the fake's token bucket refills in real time.
 */
import { startZoomFake } from '@bkx-video/platform-fakes';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../src/app';
import { migrateLatest } from '../src/db/migrate';
import { retryDelaySeconds } from '../src/repositories/queue-repository';
import { ADMIN, PREFIX, bookingx, call, createTestDatabase, createWordPressTables, startMailRelay, testConfig, type TestDb } from './helper';

type ZoomFake = Awaited< ReturnType< typeof startZoomFake > >;

const CREDS = { accountId: 'acct-w', clientId: 'client-w', clientSecret: 'secret-w-0123456789' };
const CREATE = /^\/v2\/users\/[^/]+\/meetings$/;

interface Site {
	zoom: ZoomFake;
	relay: Awaited< ReturnType< typeof startMailRelay > >;
	db: TestDb;
	app: FastifyInstance;
	/** Writes `n` bookings as BookingX does, then their outbox rows; returns the booking ids. */
	book( n: number ): Promise< number[] >;
	events(): Promise< Array< Record< string, any > > >;
	consultations(): Promise< Array< Record< string, any > > >;
	close(): Promise< void >;
}

let slotSeq = 0;

/** A fresh database, the Zoom fake and the app with its real clock; no poll or reconcile timers to speak of. */
async function site( env: Record< string, string > = {} ): Promise< Site > {
	const zoom = await startZoomFake( { ...CREDS, users: [ 'host@example.test' ] } );
	const relay = await startMailRelay();
	const db = await createTestDatabase();
	await createWordPressTables( db.knex );
	await db.knex( `${ PREFIX }options` ).insert( [
		{ option_name: 'timezone_string', option_value: 'Europe/Berlin' },
		{ option_name: 'gmt_offset', option_value: '' },
	] );
	const config = testConfig( db.name, {
		BKX_VIDEO_MAIL_RELAY_URL: relay.url,
		BKX_VIDEO_ZOOM_API_URL: zoom.url,
		BKX_VIDEO_ZOOM_OAUTH_URL: zoom.oauthUrl,
		BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: '5',
		BKX_VIDEO_SYNC_CONCURRENCY: '4',
		// Only nudges and the instance's own wake-ups move the queue in these tests.
		BKX_VIDEO_OUTBOX_POLL_SECONDS: '3600',
		BKX_VIDEO_RECONCILE_INTERVAL_SECONDS: '86400',
		...env,
	} );
	const app = await buildApp( { config, knex: db.knex, logger: false } );
	await migrateLatest( db.knex, app.tables );
	await app.ready();
	const res = await call( app, ADMIN, 'PUT', '/v1/settings', {
		zoom_enabled: true,
		default_platform: 'zoom',
		zoom_account_id: CREDS.accountId,
		zoom_client_id: CREDS.clientId,
		zoom_client_secret: CREDS.clientSecret,
		zoom_user_id: 'host@example.test',
		require_authentication: false,
	} );
	expect( res.status ).toBe( 200 );
	const bx = bookingx( db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Queue' );
	const seat = await bx.seat( 'Dr. Queue', provider );
	const service = await bx.service( 'Video consultation', true );
	return {
		zoom,
		relay,
		db,
		app,
		async book( n ) {
			const ids: number[] = [];
			for ( let i = 0; i < n; i++ ) {
				const k = slotSeq++;
				const day = new Date( Date.now() + ( 2 + Math.floor( k / 10 ) ) * 86400_000 ).toISOString().slice( 0, 10 );
				const hour = String( 8 + ( k % 10 ) ).padStart( 2, '0' );
				ids.push( await bx.booking( { serviceId: service, seatId: seat, start: `${ day } ${ hour }:00:00`, end: `${ day } ${ hour }:30:00`, email: `queue${ k }@example.test` } ) );
			}
			for ( const id of ids ) {
				await bx.event( id, 'booking.saved' );
			}
			return ids;
		},
		events: () => db.knex( `${ PREFIX }bkx_video_events` ).select().orderBy( 'id' ),
		consultations: () => db.knex( `${ PREFIX }bkx_video_consultations` ).select().orderBy( 'id' ),
		async close() {
			await app.close();
			await db.drop();
			await relay.close();
			await zoom.close();
		},
	};
}

const creates = ( zoom: ZoomFake ) => zoom.requests.filter( ( r ) => r.method === 'POST' && CREATE.test( r.path ) );
const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );
/** Seconds from now until a DATETIME (UTC) column's moment. */
const secondsUntil = ( value: string ) => ( new Date( `${ value.replace( ' ', 'T' ) }Z` ).getTime() - Date.now() ) / 1000;

describe( 'the outbox consumer', () => {
	let s: Site;
	beforeAll( async () => {
		s = await site();
	} );
	afterAll( async () => {
		await s?.close();
	} );

	it( 'syncs several bookings at once, but no more than BKX_VIDEO_SYNC_CONCURRENCY (4)', async () => {
		const ids = await s.book( 8 );
		// Every create takes 300 ms: one at a time would need 2.4 s.
		s.zoom.failWith( { delayMs: 300, times: 8, match: { method: 'POST', path: CREATE } } );
		expect( await s.app.workers.drainOutbox() ).toBe( 8 );
		const rows = await s.consultations();
		expect( rows.filter( ( r ) => ids.includes( Number( r.booking_id ) ) && r.status === 'scheduled' && r.meeting_id ) ).toHaveLength( 8 );
		// Requests that arrived less than 300 ms apart were in flight together.
		const arrivals = creates( s.zoom ).map( ( r ) => Date.parse( r.at ) ).sort( ( a, b ) => a - b );
		expect( arrivals ).toHaveLength( 8 );
		const together = Math.max( ...arrivals.map( ( a, i ) => arrivals.slice( i ).filter( ( b ) => b - a < 250 ).length ) );
		expect( together ).toBeGreaterThanOrEqual( 2 );
		expect( together ).toBeLessThanOrEqual( 4 );
	} );

	it( 'keeps a failed booking to itself: the others are done, it alone is retried with backoff', async () => {
		const ids = await s.book( 4 );
		s.zoom.failWith( { status: 400, body: { code: 300, message: 'Validation Failed.' }, times: 1, match: { method: 'POST', path: CREATE } } );
		expect( await s.app.workers.drainOutbox() ).toBe( 4 );
		const events = ( await s.events() ).filter( ( e ) => ids.includes( Number( e.booking_id ) ) );
		expect( events.filter( ( e ) => e.processed_at ) ).toHaveLength( 3 );
		const [ failed ] = events.filter( ( e ) => ! e.processed_at );
		expect( failed ).toMatchObject( { attempts: 1, last_error: expect.stringContaining( 'No platform could create a meeting' ) } );
		// The first backoff step (5 s), to the second.
		expect( secondsUntil( failed!.claimed_until ) ).toBeGreaterThan( 3 );
		expect( secondsUntil( failed!.claimed_until ) ).toBeLessThanOrEqual( 5 );
	} );

	it( 'pauses on 429 until Retry-After, gives back what it did not start, and then makes every meeting once', async () => {
		// Clear the event left failed above, so only this test's bookings are in the queue.
		await s.db.knex( `${ PREFIX }bkx_video_events` ).whereNull( 'processed_at' ).update( { processed_at: '2026-01-01 00:00:00' } );
		const before = creates( s.zoom ).length;
		s.zoom.setKnobs( { rateLimit: { perSecond: 2, retryAfter: 'seconds' } } );
		try {
			const ids = await s.book( 10 );
			await s.app.workers.drainOutbox();
			const limited = () => creates( s.zoom ).slice( before ).filter( ( r ) => r.status === 429 ).length;
			const accepted = () => creates( s.zoom ).slice( before ).filter( ( r ) => r.status === 201 ).length;
			// Two tokens in the bucket; only the syncs already in flight met the 429.
			expect( accepted() ).toBe( 2 );
			expect( limited() ).toBeGreaterThanOrEqual( 1 );
			expect( limited() ).toBeLessThanOrEqual( 4 );
			const events = ( await s.events() ).filter( ( e ) => ids.includes( Number( e.booking_id ) ) && ! e.processed_at );
			expect( events ).toHaveLength( 8 );
			// Refused ones count an attempt, the rest were never tried; all are due when Zoom said.
			expect( events.filter( ( e ) => e.attempts === 1 ) ).toHaveLength( limited() );
			expect( events.filter( ( e ) => e.attempts === 0 ) ).toHaveLength( 8 - limited() );
			for ( const e of events ) {
				expect( secondsUntil( e.claimed_until ) ).toBeLessThanOrEqual( 1 );
			}
			// While paused, a nudge does not reach Zoom at all.
			const requests = s.zoom.requests.length;
			expect( await s.app.workers.drainOutbox() ).toBe( 0 );
			expect( s.zoom.requests.length ).toBe( requests );
			// After each Retry-After the queue moves on, about two creates a second.
			for ( let round = 0; round < 15 && accepted() < 10; round++ ) {
				await sleep( 1100 );
				await s.app.workers.drainOutbox();
			}
			expect( accepted() ).toBe( 10 );
			expect( limited() ).toBeLessThanOrEqual( 4 * 8 );
			const rows = ( await s.consultations() ).filter( ( r ) => ids.includes( Number( r.booking_id ) ) );
			expect( rows ).toHaveLength( 10 );
			expect( new Set( rows.map( ( r ) => r.meeting_id ) ).size ).toBe( 10 );
			const markers = [ ...s.zoom.meetings.values() ].map( ( m ) => m.agenda );
			for ( const id of ids ) {
				expect( markers.filter( ( a ) => a.includes( `[bkx-booking:${ id }]` ) ) ).toHaveLength( 1 );
			}
		} finally {
			s.zoom.setKnobs( { rateLimit: null } );
		}
	} );

	it( 'runs a burst of concurrent job runs (a nudge per booking) as one, without deadlocks', async () => {
		// Due now: the no-show checks are planned for after each start, days ahead.
		const nowSql = new Date().toISOString().slice( 0, 19 ).replace( 'T', ' ' );
		const dueJobs = () => s.db.knex( `${ PREFIX }bkx_video_jobs` ).whereNot( 'status', 'done' ).andWhere( 'run_at', '<=', nowSql );
		const due = ( await dueJobs() ).length;
		expect( due ).toBeGreaterThanOrEqual( 20 );
		const results = await Promise.allSettled( Array.from( { length: 20 }, () => s.app.workers.runDueJobs() ) );
		expect( results.filter( ( r ) => r.status === 'rejected' ) ).toEqual( [] );
		expect( await dueJobs() ).toEqual( [] );
		// Invitations for every consultation with a meeting, none sent twice.
		const keys = s.relay.mails.map( ( m ) => String( m.idempotency_key ) );
		expect( new Set( keys ).size ).toBe( keys.length );
		expect( keys.length ).toBeGreaterThanOrEqual( ( await s.consultations() ).filter( ( r ) => r.meeting_id ).length );
	} );
} );

describe( 'a running instance', () => {
	let s: Site;
	beforeAll( async () => {
		// As many lanes as bookings: the whole burst meets the first 429 at once.
		s = await site( { BKX_VIDEO_SYNC_CONCURRENCY: '32' } );
		// Started on an empty site: the start-up reconcile has nothing to do.
		s.app.workers.start();
	} );
	afterAll( async () => {
		await s?.close();
	} );

	it( 'wakes itself up when Retry-After has passed, without a poll or another nudge', async () => {
		s.zoom.setKnobs( { rateLimit: { perSecond: 3, retryAfter: 'seconds' } } );
		const ids = await s.book( 12 );
		s.app.workers.nudge();
		let made = 0;
		let open: unknown[] = [ null ];
		// The event is marked done just after its meeting is stored: wait for both.
		for ( let i = 0; i < 100 && ( made < 12 || open.length ); i++ ) {
			await sleep( 100 );
			made = ( await s.consultations() ).filter( ( r ) => r.meeting_id ).length;
			open = ( await s.events() ).filter( ( e ) => ids.includes( Number( e.booking_id ) ) && ! e.processed_at );
		}
		expect( made ).toBe( 12 );
		expect( open ).toEqual( [] );
		// It waited rather than retrying: a handful of refusals per Retry-After at most.
		const refused = creates( s.zoom ).filter( ( r ) => r.status === 429 );
		expect( refused.length ).toBeLessThanOrEqual( 4 * 4 );
		expect( creates( s.zoom ).filter( ( r ) => r.status === 201 ) ).toHaveLength( 12 );
		// The whole burst went at once; after the 429 it started again with one sync, and the
		// next began only when that one had finished (slow start).
		const first = Date.parse( refused[ 0 ]!.at );
		const wave = creates( s.zoom ).filter( ( r ) => Date.parse( r.at ) - first < 300 );
		expect( wave.length ).toBeGreaterThanOrEqual( 10 );
		// Zoom said to wait a second: nothing new starts before that, so the creates from 800 ms on
		// are the restart (the first wave may straggle on a loaded machine, but not that long).
		const after = creates( s.zoom )
			.map( ( r ) => Date.parse( r.at ) )
			.filter( ( at ) => at - first >= 800 )
			.sort( ( a, b ) => a - b );
		expect( after[ 1 ]! - after[ 0 ]! ).toBeGreaterThanOrEqual( 3 );
	} );
} );

describe( 'retry delays', () => {
	it( 'wait exactly for a 429’s Retry-After, back off from 1 s without one, and from 5 s for other failures', () => {
		expect( retryDelaySeconds( 1, { rateLimited: true, retryAfterSeconds: 1 } ) ).toBe( 1 );
		expect( retryDelaySeconds( 6, { rateLimited: true, retryAfterSeconds: 30 } ) ).toBe( 30 );
		expect( [ 1, 2, 3, 8, 20 ].map( ( a ) => retryDelaySeconds( a, { rateLimited: true } ) ) ).toEqual( [ 1, 2, 4, 60, 60 ] );
		expect( [ 1, 2, 3, 20 ].map( ( a ) => retryDelaySeconds( a ) ) ).toEqual( [ 5, 10, 20, 900 ] );
		// A 503's Retry-After counts when it is longer than our backoff.
		expect( retryDelaySeconds( 1, { retryAfterSeconds: 120 } ) ).toBe( 120 );
		expect( retryDelaySeconds( 3, { retryAfterSeconds: 1 } ) ).toBe( 20 );
	} );
} );

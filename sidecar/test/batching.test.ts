/**
 * A burst of bookings is cheap on the database (src/db/batch.ts): the syncs running together read
 * their bookings, services, seats and consultations, and write their consultations, tokens, jobs
 * and outbox marks, with a few queries per kind instead of one per booking; their locks share one
 * connection (createLockSet). What batching must not change: each booking gets its own data, a
 * duplicate row fails only its own caller, a lock still excludes (in this instance and against
 * another), and the pool is whole afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLockSet } from '../src/db/named-lock';
import { createConsultationsRepository } from '../src/repositories/consultations-repository';
import { ADMIN, JITSI_FALLBACK, PREFIX, bookingx, call, localSlot, setup, type TestContext } from './helper';

const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

let ctx: TestContext;
beforeAll( async () => {
	ctx = await setup( { clockStart: new Date().toISOString() } );
	const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { zoom_enabled: false, default_platform: 'jitsi', ...JITSI_FALLBACK }, ctx.clock.now() );
	expect( res.status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
} );

/** Counts the SQL the app sends while `fn` runs, by a pattern per kind. */
async function countQueries( fn: () => Promise< unknown >, kinds: Record< string, RegExp > ): Promise< Record< string, number > > {
	const counts = Object.fromEntries( Object.keys( kinds ).map( ( k ) => [ k, 0 ] ) ) as Record< string, number >;
	const listener = ( q: { sql: string } ) => {
		for ( const [ kind, re ] of Object.entries( kinds ) ) {
			if ( re.test( q.sql ) ) {
				counts[ kind ]!++;
			}
		}
	};
	ctx.db.knex.on( 'query', listener );
	try {
		await fn();
	} finally {
		ctx.db.knex.off( 'query', listener );
	}
	return counts;
}

describe( 'a burst of 30 bookings', () => {
	it( 'is synced with a few queries per kind, and every consultation has its own booking’s data', async () => {
		const bx = bookingx( ctx.db.knex );
		const service = await bx.service( 'Video consultation', true );
		const hosts: Array< { seat: number; user: number } > = [];
		for ( let i = 0; i < 3; i++ ) {
			const user = await bx.user( `host${ i }`, `host${ i }@example.test`, `Dr. Host ${ i }` );
			hosts.push( { user, seat: await bx.seat( `Dr. Host ${ i }`, user ) } );
		}
		const ids: number[] = [];
		for ( let i = 0; i < 30; i++ ) {
			const id = await bx.booking( { serviceId: service, seatId: hosts[ i % 3 ]!.seat, ...localSlot( 2 + Math.floor( i / 10 ), 8 + ( i % 10 ) ), email: `burst${ i }@example.test`, first: `Customer${ i }` } );
			await bx.event( id, 'booking.saved' );
			ids.push( id );
		}

		const counts = await countQueries( () => ctx.app.workers.drainOutbox(), {
			// Bookings, services and seats, each post with its meta.
			posts: /from `wp_posts` as `p` left join `wp_postmeta`/,
			consultationReads: /^select \* from `wp_bkx_video_consultations` where `booking_id` in/,
			consultationInserts: /^insert into `wp_bkx_video_consultations`/,
			tokenInserts: /^insert ignore into `wp_bkx_video_access_tokens`/,
			jobInserts: /^insert ignore into `wp_bkx_video_jobs`/,
			eventMarks: /^update `wp_bkx_video_events` set `processed_at`/,
		} );
		// One query per kind would be 30 (posts: 90). Syncs finishing at slightly different moments
		// may split a kind into a few batches.
		expect( counts.posts ).toBeGreaterThan( 0 );
		expect( counts.posts ).toBeLessThanOrEqual( 6 );
		// Writes come as the syncs finish, gathered over 2 ms: a few batches, never one per booking.
		for ( const kind of [ 'consultationInserts', 'tokenInserts', 'jobInserts', 'eventMarks' ] ) {
			expect( counts[ kind ], kind ).toBeGreaterThan( 0 );
			expect( counts[ kind ], kind ).toBeLessThanOrEqual( 12 );
		}
		// Read before the insert and once more with it (to learn the new ids).
		expect( counts.consultationReads ).toBeLessThanOrEqual( 12 );

		const rows = await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).whereIn( 'booking_id', ids );
		expect( rows ).toHaveLength( 30 );
		for ( const [ i, id ] of ids.entries() ) {
			const row = rows.find( ( r ) => Number( r.booking_id ) === id )!;
			expect( row ).toMatchObject( { customer_email: `burst${ i }@example.test`, host_id: hosts[ i % 3 ]!.user, status: 'scheduled' } );
			expect( String( row.customer_name ) ).toContain( `Customer${ i }` );
		}
		const tokens = await ctx.db.knex( `${ PREFIX }bkx_video_access_tokens` ).whereIn( 'consultation_id', rows.map( ( r ) => r.id ) );
		expect( new Set( tokens.map( ( t ) => t.consultation_id ) ).size ).toBe( 30 );
		const invitations = await ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'kind', 'mail.invitation' );
		expect( invitations.filter( ( j ) => rows.some( ( r ) => JSON.parse( j.payload ).consultationId === Number( r.id ) ) ) ).toHaveLength( 30 );
		const open = await ctx.db.knex( `${ PREFIX }bkx_video_events` ).whereIn( 'booking_id', ids ).whereNull( 'processed_at' );
		expect( open ).toEqual( [] );
	} );
} );

describe( 'inserts made together', () => {
	it( 'fail only the caller whose row is a duplicate', async () => {
		const repo = createConsultationsRepository( ctx.db.knex, ctx.app.tables );
		const row = ( bookingId: number ) => ( {
			bookingId,
			platform: 'jitsi' as const,
			meetingId: `m-${ bookingId }`,
			meetingPassword: null,
			hostUrl: null,
			joinUrl: `https://meet.example.test/m-${ bookingId }`,
			dialInNumbers: [],
			durationMinutes: 30,
			scheduledStart: new Date( Date.now() + 86400_000 ),
			scheduledEnd: new Date( Date.now() + 86400_000 + 1800_000 ),
			status: 'scheduled' as const,
			hostId: 0,
			serviceId: 0,
			seatId: 0,
			customerUserId: null,
			customerEmail: `dup${ bookingId }@example.test`,
			customerName: null,
			accessVersion: 1,
			icsSequence: 0,
			waitingRoomEnabled: false,
			requiresPassword: false,
			recordingEnabled: false,
			metadata: {},
			syncError: null,
		} );
		const now = new Date();
		const results = await Promise.allSettled( [ repo.insert( row( 900001 ), now ), repo.insert( row( 900002 ), now ), repo.insert( row( 900001 ), now ) ] );
		expect( results.map( ( r ) => r.status ) ).toEqual( [ 'fulfilled', 'fulfilled', 'rejected' ] );
		expect( String( ( results[ 2 ] as PromiseRejectedResult ).reason ) ).toMatch( /Duplicate entry/ );
		const [ a, b ] = results.map( ( r ) => ( r.status === 'fulfilled' ? r.value : null ) );
		expect( a ).toMatchObject( { bookingId: 900001, meetingId: 'm-900001' } );
		expect( b ).toMatchObject( { bookingId: 900002, meetingId: 'm-900002' } );
		expect( a!.id ).not.toBe( b!.id );
		expect( await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).whereIn( 'booking_id', [ 900001, 900002 ] ) ).toHaveLength( 2 );
	} );
} );

describe( 'the lock set', () => {
	const pool = () => ( ctx.db.knex.client as { pool: { numUsed(): number } } ).pool;

	it( 'runs one holder of a name at a time in this instance, different names together', async () => {
		const locks = createLockSet( ctx.db.knex, 5 );
		const log: string[] = [];
		const hold = ( name: string, tag: string ) =>
			locks.run( name, async () => {
				log.push( `${ tag }+` );
				await sleep( 50 );
				log.push( `${ tag }-` );
			} );
		await Promise.all( [ hold( 'bkx-test-a', 'a1' ), hold( 'bkx-test-a', 'a2' ), hold( 'bkx-test-b', 'b' ) ] );
		// a2 starts only after a1 ended; b ran beside a1.
		expect( log.indexOf( 'a2+' ) ).toBeGreaterThan( log.indexOf( 'a1-' ) );
		expect( log.indexOf( 'b+' ) ).toBeLessThan( log.indexOf( 'a1-' ) );
		// The shared connection went back to the pool.
		await sleep( 10 );
		expect( pool().numUsed() ).toBe( 0 );
	} );

	it( 'waits for a name another instance holds, and takes it once it is released', async () => {
		const locks = createLockSet( ctx.db.knex, 5 );
		const other = await ctx.db.knex.client.acquireConnection();
		try {
			await other.promise().query( 'SELECT GET_LOCK(?, 0)', [ 'bkx-test-c' ] );
			let entered = 0;
			const waiting = locks.run( 'bkx-test-c', async () => {
				entered = Date.now();
			} );
			await sleep( 300 );
			expect( entered ).toBe( 0 );
			const released = Date.now();
			await other.promise().query( 'SELECT RELEASE_LOCK(?)', [ 'bkx-test-c' ] );
			await waiting;
			expect( entered ).toBeGreaterThanOrEqual( released );
			// While we held it, the other connection could not take it.
			const [ rows ] = await other.promise().query( 'SELECT IS_FREE_LOCK(?) AS free', [ 'bkx-test-c' ] );
			expect( rows[ 0 ].free ).toBe( 1 );
		} finally {
			await ctx.db.knex.client.releaseConnection( other );
		}
		await sleep( 10 );
		expect( pool().numUsed() ).toBe( 0 );
	} );

	it( 'holds the name against other connections while the work runs', async () => {
		const locks = createLockSet( ctx.db.knex, 5 );
		const free = async () => Number( ( ( await ctx.db.knex.raw( 'SELECT IS_FREE_LOCK(?) AS free', [ 'bkx-test-d' ] ) ) as [ Array< { free: number } > ] )[ 0 ][ 0 ]!.free );
		let during = -1;
		await locks.run( 'bkx-test-d', async () => {
			during = await free();
		} );
		expect( during ).toBe( 0 );
		expect( await free() ).toBe( 1 );
	} );
} );

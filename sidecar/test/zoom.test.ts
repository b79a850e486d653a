/**
 * Zoom, end to end in the sidecar against the Zoom fake (reference §1): bookings become Zoom
 * meetings, follow reschedules and cancellations, survive lost answers, rate limits, revoked tokens
 * and deletions on the platform, and fail over when Zoom is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deriveAccessToken } from '../src/crypto';
import { ADMIN, JITSI_FALLBACK, PREFIX, SECRET, bookingx, bookSlot, call, drainAll, localSlot, startZoomSite, type TestContext } from './helper';

type ZoomFake = Awaited< ReturnType< typeof startZoomSite > >[ 'zoom' ];

let zoom: ZoomFake;
let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startZoomSite > >[ 'relay' ];
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };
let site: Awaited< ReturnType< typeof startZoomSite > >;

const CREDS = { accountId: 'acct-123', clientId: 'client-abc', clientSecret: 'secret-xyz-0123456789' };

beforeAll( async () => {
	site = await startZoomSite( { creds: CREDS, provider: 'Dr. Zed', settings: { ...JITSI_FALLBACK } } );
	( { zoom, ctx, relay, bx, ids } = site );
} );
afterAll( async () => {
	await site?.close();
} );

const rows = () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).select().orderBy( 'id' );
const drain = () => drainAll( ctx.app );
const slot = localSlot;
const book = ( email: string, days: number, hour: number ) => bookSlot( ctx.app, bx, ids, email, days, hour );
const apiCalls = ( method: string, pathPart: string ) => zoom.requests.filter( ( r ) => r.method === method && r.path.includes( pathPart ) );

describe( 'Zoom meetings follow bookings', () => {
	it( 'creates a Zoom meeting for a booking, with our settings, and one token for many calls', async () => {
		const bookingId = await book( 'zoe@example.test', 3, 10 );
		const [ row ] = ( await rows() ).filter( ( r ) => r.booking_id === bookingId );
		expect( row ).toMatchObject( { platform: 'zoom', status: 'scheduled' } );
		expect( row.meeting_id ).toMatch( /^\d{10,}$/ );
		const created = apiCalls( 'POST', '/users/host%40example.test/meetings' ).at( -1 ) ?? apiCalls( 'POST', '/users/host@example.test/meetings' ).at( -1 );
		expect( created ).toBeDefined();
		const body = JSON.parse( created!.body ) as Record< string, any >;
		expect( body ).toMatchObject( { type: 2, duration: 30, timezone: 'Europe/Berlin', settings: { waiting_room: true, join_before_host: false, mute_upon_entry: true, auto_recording: 'cloud' } } );
		expect( body.start_time ).toMatch( /T09:00:00Z$/ ); // 10:00 in Berlin is 09:00 UTC in winter
		expect( body.password ).toHaveLength( 6 );
		expect( row.meeting_password ).toBe( body.password );
		// Dial-in numbers are kept with the consultation, as Zoom gave them.
		expect( JSON.parse( row.dial_in_numbers ) ).toEqual( [ 'US +1 5550100001', 'US +1 5550100002', 'DE +49 6950500001' ] );
		await book( 'zack@example.test', 3, 12 );
		expect( zoom.requests.filter( ( r ) => r.path.startsWith( '/oauth/token' ) ) ).toHaveLength( 1 );
		// The token travels in the header, never in the query string.
		expect( zoom.requests.filter( ( r ) => r.path.includes( 'access_token=' ) || JSON.stringify( r.query ?? {} ).includes( 'access_token' ) ) ).toHaveLength( 0 );
	} );

	it( 'gives the customer the join URL and the host a fresh start URL at click time', async () => {
		const bookingId = await book( 'clicky@example.test', 2, 16 );
		const row = ( await rows() ).find( ( r ) => r.booking_id === bookingId );
		ctx.clock.set( new Date( new Date( `${ row.scheduled_start.replace( ' ', 'T' ) }Z` ).getTime() - 5 * 60_000 ).toISOString() );
		const token = deriveAccessToken( SECRET, row.id, 1 );
		const customer = await call( ctx.app, { sub: 0 }, 'POST', `/v1/consultations/${ row.id }/join?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( customer.status ).toBe( 200 );
		expect( customer.json ).toMatchObject( { join_url: row.join_url, role: 'participant' } );
		const getsBefore = apiCalls( 'GET', `/meetings/${ row.meeting_id }` ).length;
		const host = await call( ctx.app, { sub: ids.provider, caps: [ 'bkx_video_conduct' ], email: 'provider@example.test' }, 'POST', `/v1/consultations/${ row.id }/join`, undefined, ctx.clock.now() );
		expect( host.status ).toBe( 200 );
		expect( host.json ).toMatchObject( { role: 'host' } );
		// Fetched at click time, never stored.
		expect( apiCalls( 'GET', `/meetings/${ row.meeting_id }` ).length ).toBe( getsBefore + 1 );
		expect( ( host.json as { join_url: string } ).join_url ).toBe( zoom.meetings.get( row.meeting_id )?.start_url ?? ( zoom.meetings.get( Number( row.meeting_id ) as never ) as { start_url?: string } | undefined )?.start_url );
		expect( JSON.stringify( await rows() ) ).not.toContain( ( host.json as { join_url: string } ).join_url );
		ctx.clock.set( new Date().toISOString() );
	} );

	it( 'moves the meeting on reschedule (PATCH 204, then GET) and deletes it on cancel', async () => {
		const bookingId = await book( 'mover@example.test', 4, 9 );
		const [ before ] = ( await rows() ).filter( ( r ) => r.booking_id === bookingId );
		const s = slot( 5, 15, 45 );
		await bx.setMeta( bookingId, 'booking_start_date', s.start );
		await bx.setMeta( bookingId, 'booking_end_date', s.end );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const patch = apiCalls( 'PATCH', `/meetings/${ before.meeting_id }` ).at( -1 );
		expect( patch ).toBeDefined();
		expect( JSON.parse( patch!.body ) ).toMatchObject( { duration: 45 } );
		const [ after ] = ( await rows() ).filter( ( r ) => r.booking_id === bookingId );
		expect( after ).toMatchObject( { meeting_id: before.meeting_id, duration_minutes: 45 } );
		expect( after.scheduled_start ).toMatch( / 14:00:00$/ );

		await bx.setStatus( bookingId, 'bkx-cancelled' );
		await bx.event( bookingId, 'booking.status' );
		await drain();
		expect( apiCalls( 'DELETE', `/meetings/${ before.meeting_id }` ) ).toHaveLength( 1 );
		expect( zoom.meetings.has( before.meeting_id ) || zoom.meetings.has( Number( before.meeting_id ) as never ) ).toBe( false );
		expect( ( await rows() ).find( ( r ) => r.booking_id === bookingId ) ).toMatchObject( { status: 'cancelled' } );
	} );

	it( 'ends a meeting that is in progress when its booking is cancelled, then deletes it', async () => {
		const bookingId = await book( 'live@example.test', 4, 13 );
		const [ row ] = ( await rows() ).filter( ( r ) => r.booking_id === bookingId );
		const live = zoom.meetings.get( row.meeting_id ) ?? zoom.meetings.get( Number( row.meeting_id ) as never );
		live!.status = 'started';
		await bx.setStatus( bookingId, 'bkx-cancelled' );
		await bx.event( bookingId, 'booking.status' );
		await drain();
		const end = apiCalls( 'PUT', `/meetings/${ row.meeting_id }/status` );
		expect( end ).toHaveLength( 1 );
		expect( JSON.parse( end[ 0 ]!.body ) ).toEqual( { action: 'end' } );
		expect( apiCalls( 'DELETE', `/meetings/${ row.meeting_id }` ) ).toHaveLength( 2 ); // refused with 3002, then done
		expect( zoom.meetings.has( row.meeting_id ) || zoom.meetings.has( Number( row.meeting_id ) as never ) ).toBe( false );
		expect( ( await rows() ).find( ( r ) => r.booking_id === bookingId ) ).toMatchObject( { status: 'cancelled' } );
	} );

	it( 'fails over to Jitsi when Zoom answers 503, and records why', async () => {
		zoom.failWith( { status: 503, body: '{"code":503,"message":"Service unavailable"}', times: 1, match: { method: 'POST', path: '/meetings' } } );
		const bookingId = await book( 'failover@example.test', 6, 10 );
		const row = ( await rows() ).find( ( r ) => r.booking_id === bookingId );
		expect( row ).toMatchObject( { platform: 'jitsi', status: 'scheduled' } );
		const failures = JSON.parse( row.metadata ).platform_failures as Array< { platform: string; reason: string } >;
		expect( failures ).toEqual( [ expect.objectContaining( { platform: 'zoom', reason: expect.stringContaining( 'unavailable' ) } ) ] );
	} );

	it( 'makes exactly one meeting when Zoom created it but the answer was lost', async () => {
		zoom.loseNextCreateResponse();
		const before = zoom.meetings.size;
		const bookingId = await book( 'lost@example.test', 7, 11 );
		const row = ( await rows() ).find( ( r ) => r.booking_id === bookingId );
		expect( row ).toMatchObject( { platform: 'zoom', status: 'scheduled' } );
		expect( zoom.meetings.size ).toBe( before + 1 );
		// A second delivery of the same event changes nothing.
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		expect( zoom.meetings.size ).toBe( before + 1 );
	} );

	it( 'waits for Retry-After on 429 instead of failing over, then creates once', async () => {
		zoom.failWith( { status: 429, body: '{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}', headers: { 'retry-after': '30' }, times: 1, match: { method: 'POST', path: '/meetings' } } );
		const bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, ...slot( 8, 10 ), email: 'busy@example.test' } );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const event = await ctx.db.knex( `${ PREFIX }bkx_video_events` ).where( 'booking_id', bookingId ).first();
		expect( event.processed_at ).toBeNull();
		const waitMs = new Date( `${ event.claimed_until.replace( ' ', 'T' ) }Z` ).getTime() - ctx.clock.now().getTime();
		expect( waitMs ).toBeGreaterThanOrEqual( 29_000 );
		expect( ( await rows() ).find( ( r ) => r.booking_id === bookingId ) ).toBeUndefined();
		ctx.clock.advance( 31_000 );
		await drain();
		expect( ( await rows() ).filter( ( r ) => r.booking_id === bookingId ) ).toEqual( [ expect.objectContaining( { platform: 'zoom' } ) ] );
		ctx.clock.set( new Date().toISOString() );
	} );

	it( 'gets a new token when Zoom revokes the old one mid-run', async () => {
		const tokensBefore = zoom.requests.filter( ( r ) => r.path.startsWith( '/oauth/token' ) ).length;
		zoom.revokeTokens();
		const bookingId = await book( 'revoked@example.test', 9, 10 );
		expect( ( await rows() ).find( ( r ) => r.booking_id === bookingId ) ).toMatchObject( { platform: 'zoom', status: 'scheduled' } );
		expect( zoom.requests.filter( ( r ) => r.path.startsWith( '/oauth/token' ) ).length ).toBe( tokensBefore + 1 );
	} );

	it( 'reconcile makes a meeting again when it was deleted on Zoom', async () => {
		const bookingId = await book( 'deleted-there@example.test', 10, 10 );
		const [ before ] = ( await rows() ).filter( ( r ) => r.booking_id === bookingId );
		zoom.meetings.delete( before.meeting_id );
		zoom.meetings.delete( Number( before.meeting_id ) as never );
		await ctx.app.workers.reconcile();
		const [ after ] = ( await rows() ).filter( ( r ) => r.booking_id === bookingId );
		expect( after.meeting_id ).not.toBe( before.meeting_id );
		expect( after.status ).toBe( 'scheduled' );
	} );
} );

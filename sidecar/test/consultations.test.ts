/**
 * Bookings become consultations through the outbox and the reconcile job; customers, hosts and
 * guests with an access token see and join them; nobody else does.
 */
import { verifyJitsiToken } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deriveAccessToken } from '../src/crypto';
import { ADMIN, PREFIX, SECRET, bookingx, call, drainAll, setup, startMailRelay, type TestContext } from './helper';

let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startMailRelay > >;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; customer: number; other: number; seat: number; video: number; plain: number };

const JITSI = { require_authentication: false, jitsi_enabled: true, zoom_enabled: false, default_platform: 'jitsi', jitsi_server_url: 'https://meet.example.test', jitsi_app_id: 'bkx-app', jitsi_app_secret: 'jitsi-secret-0123456789' };

beforeAll( async () => {
	relay = await startMailRelay();
	ctx = await setup( { env: { BKX_VIDEO_MAIL_RELAY_URL: relay.url, BKX_VIDEO_SITE_URL: 'https://clinic.example.test' }, clockStart: '2026-11-22T08:00:00Z' } );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Ada Provider' );
	const customer = await bx.user( 'customer', 'customer@example.test', 'Cara Customer' );
	const other = await bx.user( 'other', 'other@example.test', 'Otto Other' );
	const seat = await bx.seat( 'Dr. Ada', provider );
	ids = { provider, customer, other, seat, video: await bx.service( 'Video consultation', true ), plain: await bx.service( 'In-person visit', false, 60 ) };
	const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', JITSI, ctx.clock.now() );
	expect( res.status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
	await relay?.close();
} );

const consultations = () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).select().orderBy( 'id' );
const drain = () => drainAll( ctx.app );
const as = ( sub: number, email: string, caps: string[] = [] ) => ( { sub, email, caps } );

describe( 'bookings become consultations', () => {
	let bookingId: number;
	let consultationId: number;

	it( 'creates one Jitsi consultation for a booking of a video service, in UTC from site-local time', async () => {
		// Europe/Berlin is UTC+1 in November: 10:00 local is 09:00Z.
		bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-23 10:00:00', end: '2026-11-23 10:30:00', email: 'customer@example.test' } );
		await bx.event( bookingId, 'booking.saved' );
		await bx.event( bookingId, 'booking.saved' ); // BookingX fires twice; one consultation.
		await drain();
		const rows = await consultations();
		expect( rows ).toHaveLength( 1 );
		expect( rows[ 0 ] ).toMatchObject( {
			booking_id: bookingId,
			platform: 'jitsi',
			status: 'scheduled',
			scheduled_start: '2026-11-23 09:00:00',
			scheduled_end: '2026-11-23 09:30:00',
			duration_minutes: 30,
			host_id: ids.provider,
			customer_user_id: ids.customer,
			customer_email: 'customer@example.test',
		} );
		expect( rows[ 0 ].join_url ).toMatch( /^https:\/\/meet\.example\.test\/bkx-\d+-[a-z0-9]{12}$/ );
		// Jitsi passwords are set inside Jitsi by the moderator; we store none.
		expect( rows[ 0 ].meeting_password ).toBeNull();
		consultationId = rows[ 0 ].id;
		const left = await ctx.db.knex( `${ PREFIX }bkx_video_events` ).whereNull( 'processed_at' ).count( { n: '*' } ).first();
		expect( Number( left?.n ) ).toBe( 0 );
	} );

	it( 'sends the invitation once, with a personal link whose token is stored only hashed', async () => {
		const toCustomer = () => relay.mails.filter( ( m ) => ( m.to as string[] ).includes( 'customer@example.test' ) );
		expect( toCustomer() ).toHaveLength( 1 );
		const mail = toCustomer()[ 0 ] as { to: string[]; text: string; subject: string };
		expect( mail.to ).toEqual( [ 'customer@example.test' ] );
		const token = deriveAccessToken( SECRET, consultationId, 1 );
		expect( mail.text ).toContain( `https://clinic.example.test/video-consultation/?bkx_vc=${ token }` );
		expect( mail.subject ).toContain( '10:00' ); // the site's own wall clock
		const stored = await ctx.db.knex( `${ PREFIX }bkx_video_access_tokens` ).select();
		expect( JSON.stringify( stored ) ).not.toContain( token );
		await drain();
		await bx.event( bookingId, 'booking.status' );
		await drain();
		expect( toCustomer() ).toHaveLength( 1 );
		// The provider gets their own copy, without the customer's personal link.
		const host = relay.mails.filter( ( m ) => ( m.to as string[] ).includes( 'provider@example.test' ) );
		expect( host ).toHaveLength( 1 );
		expect( ( host[ 0 ] as { text: string } ).text ).toContain( 'https://clinic.example.test/video-consultation/' );
		expect( ( host[ 0 ] as { text: string } ).text ).not.toContain( 'bkx_vc=' );
	} );

	it( 'shows the consultation to the guest holding the token, and to the customer and host', async () => {
		const token = deriveAccessToken( SECRET, consultationId, 1 );
		const guest = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/current?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( guest.status ).toBe( 200 );
		expect( guest.json ).toMatchObject( {
			id: consultationId,
			state: 'too_early',
			viewer_role: 'customer',
			provider_name: 'Dr. Ada Provider',
			service_name: 'Video consultation',
			scheduled_start: '2026-11-23T09:00:00.000Z',
			join_opens_at: '2026-11-23T08:50:00.000Z',
			platform: 'jitsi',
		} );
		expect( JSON.stringify( guest.json ) ).not.toMatch( /meet\.example|jwt|password/i );
		const customer = await call( ctx.app, as( ids.customer, 'customer@example.test' ), 'GET', '/v1/consultations/current', undefined, ctx.clock.now() );
		expect( customer.json ).toMatchObject( { id: consultationId, viewer_role: 'customer' } );
		const host = await call( ctx.app, as( ids.provider, 'provider@example.test', [ 'bkx_video_conduct' ] ), 'GET', `/v1/consultations/${ consultationId }`, undefined, ctx.clock.now() );
		expect( host.json ).toMatchObject( { viewer_role: 'host' } );
	} );

	it( 'refuses other customers (403), guests without a token (401) and unknown tokens (404)', async () => {
		const other = await call( ctx.app, as( ids.other, 'other@example.test' ), 'GET', `/v1/consultations/${ consultationId }`, undefined, ctx.clock.now() );
		expect( other.status ).toBe( 403 );
		expect( other.json ).toMatchObject( { code: 'forbidden' } );
		const otherJoin = await call( ctx.app, as( ids.other, 'other@example.test' ), 'POST', `/v1/consultations/${ consultationId }/join`, undefined, ctx.clock.now() );
		expect( otherJoin.status ).toBe( 403 );
		const guest = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/${ consultationId }`, undefined, ctx.clock.now() );
		expect( guest.status ).toBe( 401 );
		const bad = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/current?bkx_vc=${ 'x'.repeat( 43 ) }`, undefined, ctx.clock.now() );
		expect( bad.status ).toBe( 404 );
		expect( bad.json ).toMatchObject( { code: 'link_expired' } );
		const nobody = await call( ctx.app, as( ids.other, 'other@example.test' ), 'GET', '/v1/consultations/current', undefined, ctx.clock.now() );
		expect( nobody.json ).toMatchObject( { code: 'no_upcoming_consultation', message: 'You have no upcoming video consultation.' } );
		const malformed = await call( ctx.app, { sub: 0 }, 'GET', '/v1/consultations/current?bkx_vc=%3Cscript%3E', undefined, ctx.clock.now() );
		expect( malformed.status ).toBe( 400 );
		const manager = await call( ctx.app, as( 50, 'm@example.test', [ 'bkx_video_manage' ] ), 'POST', `/v1/consultations/${ consultationId }/join`, undefined, ctx.clock.now() );
		expect( manager.status ).toBe( 403 );
	} );

	it( 'asks a customer who has an account to log in when require_authentication is on', async () => {
		const token = deriveAccessToken( SECRET, consultationId, 1 );
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { require_authentication: true }, ctx.clock.now() );
		const guest = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/current?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( guest.status ).toBe( 401 );
		expect( guest.json ).toMatchObject( { code: 'unauthenticated' } );
		const joined = await call( ctx.app, { sub: 0 }, 'POST', `/v1/consultations/${ consultationId }/join?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( joined.status ).toBe( 401 );
		const loggedIn = await call( ctx.app, as( ids.customer, 'customer@example.test' ), 'GET', `/v1/consultations/current?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( loggedIn.status ).toBe( 200 );
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { require_authentication: false }, ctx.clock.now() );
	} );

	it( 'answers 409 meeting_not_open with opens_at before the window', async () => {
		const res = await call( ctx.app, as( ids.customer, 'customer@example.test' ), 'POST', `/v1/consultations/${ consultationId }/join`, undefined, ctx.clock.now() );
		expect( res.status ).toBe( 409 );
		expect( res.json ).toMatchObject( { code: 'meeting_not_open', data: { opens_at: '2026-11-23T08:50:00.000Z' } } );
	} );

	it( 'mints a member token for the customer and a moderator token for the host that verify as prosody would', async () => {
		ctx.clock.set( '2026-11-23T08:55:00Z' );
		const token = deriveAccessToken( SECRET, consultationId, 1 );
		const guest = await call( ctx.app, { sub: 0 }, 'POST', `/v1/consultations/${ consultationId }/join?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( guest.status ).toBe( 200 );
		const { join_url: customerUrl, role } = guest.json as { join_url: string; role: string };
		expect( role ).toBe( 'participant' );
		const url = new URL( customerUrl );
		const room = url.pathname.slice( 1 );
		const knobs = { appId: 'bkx-app', appSecret: 'jitsi-secret-0123456789' };
		const now = Math.floor( ctx.clock.now().getTime() / 1000 );
		const verdict = verifyJitsiToken( url.searchParams.get( 'jwt' )!, room, knobs, now );
		expect( verdict ).toMatchObject( { ok: true, role: 'member' } );
		expect( verifyJitsiToken( url.searchParams.get( 'jwt' )!, 'another-room', knobs, now ) ).toMatchObject( { ok: false, error: 'room_mismatch' } );

		const host = await call( ctx.app, as( ids.provider, 'provider@example.test', [ 'bkx_video_conduct' ] ), 'POST', `/v1/consultations/${ consultationId }/join`, undefined, ctx.clock.now() );
		const hostUrl = new URL( ( host.json as { join_url: string } ).join_url );
		expect( verifyJitsiToken( hostUrl.searchParams.get( 'jwt' )!, room, knobs, now ) ).toMatchObject( { ok: true, role: 'moderator' } );
	} );

	it( 'follows a reschedule, keeping the room', async () => {
		const before = ( await consultations() )[ 0 ];
		await bx.setMeta( bookingId, 'booking_start_date', '2026-11-24 15:00:00' );
		await bx.setMeta( bookingId, 'booking_end_date', '2026-11-24 15:45:00' );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const after = ( await consultations() )[ 0 ];
		// Status unchanged by the move (in_progress: host and customer joined in the test before).
		expect( after ).toMatchObject( { scheduled_start: '2026-11-24 14:00:00', scheduled_end: '2026-11-24 14:45:00', duration_minutes: 45, status: before.status, join_url: before.join_url } );
	} );

	it( 'answers 410 meeting_ended after the window and 410 meeting_cancelled once the booking is cancelled', async () => {
		ctx.clock.set( '2026-11-24T15:30:00Z' );
		const ended = await call( ctx.app, as( ids.customer, 'customer@example.test' ), 'POST', `/v1/consultations/${ consultationId }/join`, undefined, ctx.clock.now() );
		expect( ended.status ).toBe( 410 );
		expect( ended.json ).toMatchObject( { code: 'meeting_ended', message: 'This meeting has ended.' } );
		ctx.clock.set( '2026-11-24T13:00:00Z' );
		await bx.setStatus( bookingId, 'bkx-cancelled' );
		await bx.event( bookingId, 'booking.status' );
		await drain();
		expect( ( await consultations() )[ 0 ] ).toMatchObject( { status: 'cancelled' } );
		const cancelled = await call( ctx.app, as( ids.customer, 'customer@example.test' ), 'POST', `/v1/consultations/${ consultationId }/join`, undefined, ctx.clock.now() );
		expect( cancelled.status ).toBe( 410 );
		expect( cancelled.json ).toMatchObject( { code: 'meeting_cancelled' } );
		// The link still opens the page, which now says "cancelled" instead of "not found".
		const token = deriveAccessToken( SECRET, consultationId, 1 );
		const view = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/current?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( view.json ).toMatchObject( { state: 'cancelled', status: 'cancelled' } );
	} );

	it( 'reopens on restore with a new link sent', async () => {
		await bx.setStatus( bookingId, 'bkx-pending' );
		await bx.event( bookingId, 'booking.untrashed' );
		await drain();
		expect( ( await consultations() )[ 0 ] ).toMatchObject( { status: 'scheduled', access_version: 2 } );
		const links = relay.mails.filter( ( m ) => ( m.to as string[] ).includes( 'customer@example.test' ) && String( m.text ).includes( 'bkx_vc=' ) );
		expect( links ).toHaveLength( 3 ); // invitation, the update after the reschedule, the new invitation
		expect( ( links.at( -1 ) as { text: string } ).text ).toContain( deriveAccessToken( SECRET, consultationId, 2 ) );
		// The first link was replaced by the new one.
		const old = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/current?bkx_vc=${ deriveAccessToken( SECRET, consultationId, 1 ) }`, undefined, ctx.clock.now() );
		expect( old.status ).toBe( 404 );
		expect( old.json ).toMatchObject( { code: 'link_expired' } );
	} );

	it( 'cancels on trash and on permanent deletion', async () => {
		await bx.setStatus( bookingId, 'trash' );
		await bx.event( bookingId, 'booking.trashed' );
		await drain();
		expect( ( await consultations() )[ 0 ] ).toMatchObject( { status: 'cancelled' } );
		const second = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-25 09:00:00', end: '2026-11-25 09:30:00', email: 'guest@example.test' } );
		await bx.event( second, 'booking.saved' );
		await drain();
		await bx.remove( second );
		await bx.event( second, 'booking.deleted' );
		await drain();
		const row = ( await consultations() ).find( ( r ) => r.booking_id === second );
		expect( row ).toMatchObject( { status: 'cancelled', customer_user_id: null } );
	} );

	it( 'makes no consultation (and sends no invitation) for a booking that is already over or completed', async () => {
		const mails = relay.mails.length;
		const past = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-20 09:00:00', end: '2026-11-20 09:30:00', email: 'past@example.test' } );
		const done = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-28 09:00:00', end: '2026-11-28 09:30:00', email: 'done@example.test', status: 'bkx-completed' } );
		await bx.event( past, 'booking.saved' );
		await bx.event( done, 'booking.saved' );
		await drain();
		const rows = await consultations();
		expect( rows.find( ( r ) => r.booking_id === past ) ).toBeUndefined();
		expect( rows.find( ( r ) => r.booking_id === done ) ).toBeUndefined();
		expect( relay.mails ).toHaveLength( mails );
	} );

	it( 'gives a booking without an end time the default duration', async () => {
		const b = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-29 09:00:00', end: '', email: 'noend@example.test' } );
		await bx.event( b, 'booking.saved' );
		await drain();
		expect( ( await consultations() ).find( ( r ) => r.booking_id === b ) ).toMatchObject( { scheduled_start: '2026-11-29 08:00:00', scheduled_end: '2026-11-29 08:30:00', duration_minutes: 30 } );
	} );

	it( 'makes no consultation for an ordinary service', async () => {
		const plain = await bx.booking( { serviceId: ids.plain, seatId: ids.seat, start: '2026-11-25 11:00:00', end: '2026-11-25 12:00:00', email: 'customer@example.test' } );
		await bx.event( plain, 'booking.saved' );
		await drain();
		expect( ( await consultations() ).find( ( r ) => r.booking_id === plain ) ).toBeUndefined();
	} );

	it( 'reconcile catches bookings whose hooks never reached us, idempotently', async () => {
		const missed = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-26 09:00:00', end: '2026-11-26 09:30:00', email: 'late@example.test' } );
		const first = await ctx.app.workers.reconcile();
		expect( first.failed ).toBe( 0 );
		await ctx.app.workers.reconcile();
		const rows = ( await consultations() ).filter( ( r ) => r.booking_id === missed );
		expect( rows ).toHaveLength( 1 );
		expect( rows[ 0 ] ).toMatchObject( { status: 'scheduled' } );
	} );

	it( 'records why a booking has no meeting when no platform can serve it, and retries', async () => {
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { jitsi_app_secret: null }, ctx.clock.now() );
		const b = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-27 09:00:00', end: '2026-11-27 09:30:00', email: 'x@example.test' } );
		await bx.event( b, 'booking.saved' );
		await drain();
		const row = ( await consultations() ).find( ( r ) => r.booking_id === b );
		expect( row ).toMatchObject( { status: 'pending' } );
		expect( row.sync_error ).toContain( 'jitsi' );
		const event = await ctx.db.knex( `${ PREFIX }bkx_video_events` ).where( 'booking_id', b ).first();
		expect( event ).toMatchObject( { processed_at: null, attempts: 1 } );
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { jitsi_app_secret: 'jitsi-secret-0123456789' }, ctx.clock.now() );
		await ctx.app.workers.reconcile();
		expect( ( await consultations() ).find( ( r ) => r.booking_id === b ) ).toMatchObject( { status: 'scheduled', sync_error: null } );
	} );
} );

describe( 'access stays with the right person', () => {
	const newBooking = async ( email: string, day: string ) => {
		const id = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: `${ day } 14:00:00`, end: `${ day } 14:30:00`, email } );
		await bx.event( id, 'booking.saved' );
		await drain();
		const row = ( await consultations() ).find( ( r ) => r.booking_id === id );
		return { bookingId: id, consultationId: Number( row.id ) };
	};

	it( 'moves the link to the corrected e-mail address and stops the old one', async () => {
		ctx.clock.set( '2026-11-30T08:00:00Z' );
		const { bookingId, consultationId } = await newBooking( 'typo@exmaple.test', '2026-12-01' );
		const oldToken = deriveAccessToken( SECRET, consultationId, 1 );
		await bx.setMeta( bookingId, 'email', 'right@example.test' );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const old = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/current?bkx_vc=${ oldToken }`, undefined, ctx.clock.now() );
		expect( old.json ).toMatchObject( { code: 'link_expired' } );
		const mail = relay.mails.filter( ( m ) => ( m.to as string[] ).includes( 'right@example.test' ) ).at( -1 ) as { to: string[]; text: string };
		expect( mail.to ).toEqual( [ 'right@example.test' ] );
		const newToken = deriveAccessToken( SECRET, consultationId, 2 );
		expect( mail.text ).toContain( newToken );
		expect( ( await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/current?bkx_vc=${ newToken }`, undefined, ctx.clock.now() ) ).status ).toBe( 200 );
	} );

	it( 'does not let a stranger who logs in use a forwarded link when login is required', async () => {
		const { consultationId } = await newBooking( 'customer@example.test', '2026-12-02' );
		const token = deriveAccessToken( SECRET, consultationId, 1 );
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { require_authentication: true }, ctx.clock.now() );
		const stranger = await call( ctx.app, as( ids.other, 'other@example.test' ), 'GET', `/v1/consultations/current?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( stranger.status ).toBe( 403 );
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { require_authentication: false }, ctx.clock.now() );
	} );

	it( 'refuses to join a booking closed behind our back, and cancels its consultation', async () => {
		const { bookingId, consultationId } = await newBooking( 'quiet@example.test', '2026-12-03' );
		ctx.clock.set( '2026-12-03T13:55:00Z' );
		await bx.setStatus( bookingId, 'bkx-cancelled' ); // no hook, no outbox row
		const token = deriveAccessToken( SECRET, consultationId, 1 );
		const res = await call( ctx.app, { sub: 0 }, 'POST', `/v1/consultations/${ consultationId }/join?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( res.status ).toBe( 410 );
		expect( res.json ).toMatchObject( { code: 'meeting_cancelled' } );
		await expect.poll( async () => ( await consultations() ).find( ( r ) => r.booking_id === bookingId ).status ).toBe( 'cancelled' );
	} );

	it( 'reopens a long-past booking without sending a new invitation', async () => {
		ctx.clock.set( '2026-12-04T08:00:00Z' );
		const { bookingId } = await newBooking( 'restore@example.test', '2026-12-05' );
		await bx.setStatus( bookingId, 'trash' );
		await bx.event( bookingId, 'booking.trashed' );
		await drain();
		ctx.clock.set( '2027-01-10T08:00:00Z' );
		const mails = relay.mails.length;
		await bx.setStatus( bookingId, 'draft' ); // WordPress restores untrashed posts as drafts
		await bx.event( bookingId, 'booking.untrashed' );
		await drain();
		expect( ( await consultations() ).find( ( r ) => r.booking_id === bookingId ) ).toMatchObject( { status: 'scheduled', access_version: 1 } );
		expect( relay.mails ).toHaveLength( mails );
	} );
} );

describe( 'site time zones across daylight-saving changes', () => {
	it( 'converts site-local slots to UTC on both sides of a change (New York, London)', async () => {
		ctx.clock.set( '2026-02-01T08:00:00Z' );
		const cases = [
			[ 'America/New_York', '2026-03-06 10:00:00', '2026-03-06 15:00:00' ],
			[ 'America/New_York', '2026-03-09 10:00:00', '2026-03-09 14:00:00' ],
			[ 'Europe/London', '2026-03-27 10:00:00', '2026-03-27 10:00:00' ],
			[ 'Europe/London', '2026-03-30 10:00:00', '2026-03-30 09:00:00' ],
		] as const;
		for ( const [ zone, local, utc ] of cases ) {
			await ctx.db.knex( `${ PREFIX }options` ).where( 'option_name', 'timezone_string' ).update( { option_value: zone } );
			const end = local.replace( /10:00:00$/, '10:30:00' );
			const id = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: local, end, email: `dst-${ zone.length }-${ local.slice( 8, 10 ) }@example.test` } );
			await bx.event( id, 'booking.saved' );
			await drain();
			expect( ( await consultations() ).find( ( r ) => r.booking_id === id )?.scheduled_start, `${ zone } ${ local }` ).toBe( utc );
		}
		await ctx.db.knex( `${ PREFIX }options` ).where( 'option_name', 'timezone_string' ).update( { option_value: 'Europe/Berlin' } );
	} );
} );

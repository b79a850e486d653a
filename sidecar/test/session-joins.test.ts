/**
 * Our own join events (issue 5, "Meet/Jitsi/built-in"): a successful Join on a platform that sends
 * us nothing becomes a `joined` event of that person (role, device type from the User-Agent, IP only
 * with `store_participant_ip`), repeated clicks within a stay add nothing, `session.close` ends the
 * session at the end of the join window, Jitsi (our JWT is the only way in) can be a no-show, and
 * Google Meet (its link works without us) never is.
 */
import type { Settings } from '@bkx-video/contracts';
import { DEFAULT_SETTINGS } from '@bkx-video/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { deriveAccessToken } from '../src/crypto';
import { clientIp, deviceType } from '../src/services/join-events';
import { attendanceKnown } from '../src/services/session-tracker';
import { ADMIN, PREFIX, SECRET, bookSlot, bookingx, call, drainAll, setup, signIdentity, startMailRelay, type TestContext } from './helper';

const JITSI = { require_authentication: false, jitsi_enabled: true, zoom_enabled: false, default_platform: 'jitsi', jitsi_server_url: 'https://meet.example.test', jitsi_app_id: 'bkx-app', jitsi_app_secret: 'jitsi-secret-0123456789' };

const UA = {
	desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
	iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
	androidPhone: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
	androidTablet: 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
	ipad: 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
	firefoxTablet: 'Mozilla/5.0 (Android 13; Tablet; rv:127.0) Gecko/127.0 Firefox/127.0',
	mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
};

let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startMailRelay > >;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };
let hour = 8;

beforeAll( async () => {
	relay = await startMailRelay();
	ctx = await setup( { env: { BKX_VIDEO_MAIL_RELAY_URL: relay.wpUrl }, clockStart: new Date().toISOString() } );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Jitsi' );
	ids = { provider, seat: await bx.seat( 'Dr. Jitsi', provider ), video: await bx.service( 'Video consultation', true ) };
	expect( ( await call( ctx.app, ADMIN, 'PUT', '/v1/settings', JITSI, ctx.clock.now() ) ).status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
	await relay?.close();
} );
afterEach( () => {
	ctx.clock.set( new Date().toISOString() );
} );

const HOST = () => ( { sub: ids.provider, caps: [ 'bkx_video_conduct' ], email: 'provider@example.test', name: 'Dr. Jitsi' } );
const minutes = ( base: Date, m: number ) => new Date( base.getTime() + m * 60_000 );
const utc = ( sql: string | null ) => ( sql ? new Date( `${ sql.replace( ' ', 'T' ) }Z` ) : null );
const participants = ( id: number ) => ctx.db.knex( `${ PREFIX }bkx_video_participants` ).where( 'consultation_id', id ).orderBy( 'id' );
const closeJobs = ( id: number ) => ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'kind', 'session.close' ).where( 'idempotency_key', 'like', `session.close:${ id }:%` );
const pushesFor = ( id: number, since: number ) => relay.events.slice( since ).filter( ( e ) => e.consultationId === id );

/** A booked Jitsi consultation, its customer's access token and its row. */
async function consultation( email: string ) {
	const bookingId = await bookSlot( ctx.app, bx, ids, email, 3, hour++ );
	const row = await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
	return {
		id: Number( row.id ),
		bookingId,
		meetingId: String( row.meeting_id ),
		start: utc( row.scheduled_start )!,
		end: utc( row.scheduled_end )!,
		token: deriveAccessToken( SECRET, Number( row.id ), 1 ),
		row: async () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', row.id ).first(),
	};
}

/** POST /v1/consultations/:id/join as the plugin's proxy sends it: the browser's User-Agent and address. */
async function join( who: Record< string, unknown >, c: { id: number; token: string }, client: { ua?: string; xff?: string } = {}, asCustomer = false ) {
	const path = `/v1/consultations/${ c.id }/join${ asCustomer ? `?bkx_vc=${ c.token }` : '' }`;
	const iat = Math.floor( ctx.clock.now().getTime() / 1000 );
	const res = await ctx.app.inject( {
		method: 'POST',
		url: path,
		headers: {
			'x-bkx-identity': await signIdentity( { iat, ...who, method: 'POST', path } ),
			...( client.ua ? { 'user-agent': client.ua } : {} ),
			...( client.xff ? { 'x-forwarded-for': client.xff } : {} ),
		},
	} );
	return { status: res.statusCode, json: res.json() as Record< string, unknown > };
}
const customerJoin = ( c: { id: number; token: string }, client: { ua?: string; xff?: string } = {} ) => join( { sub: 0 }, c, client, true );

describe( 'device type, client address and attendance rules', () => {
	it( 'tells desktops, phones and tablets apart by the User-Agent', () => {
		expect( deviceType( UA.desktop ) ).toBe( 'desktop' );
		expect( deviceType( UA.mac ) ).toBe( 'desktop' );
		expect( deviceType( UA.iphone ) ).toBe( 'mobile' );
		expect( deviceType( UA.androidPhone ) ).toBe( 'mobile' );
		expect( deviceType( UA.androidTablet ) ).toBe( 'tablet' );
		expect( deviceType( UA.ipad ) ).toBe( 'tablet' );
		expect( deviceType( UA.firefoxTablet ) ).toBe( 'tablet' );
		expect( deviceType( 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Tablet PC 2.0)' ) ).toBe( 'desktop' );
		expect( deviceType( '' ) ).toBeNull();
		expect( deviceType( undefined ) ).toBeNull();
	} );

	it( 'takes the first X-Forwarded-For entry when it is an IP address', () => {
		expect( clientIp( '203.0.113.7' ) ).toBe( '203.0.113.7' );
		expect( clientIp( '2001:db8::1, 10.0.0.1' ) ).toBe( '2001:db8::1' );
		expect( clientIp( 'unknown' ) ).toBeNull();
		expect( clientIp( '' ) ).toBeNull();
		expect( clientIp( null ) ).toBeNull();
	} );

	it( 'knows Jitsi attendance only with JWT on, and never Meet’s', () => {
		const s = ( patch: Partial< Settings > ): Settings => ( { ...DEFAULT_SETTINGS, ...JITSI, ...patch } ) as Settings;
		expect( attendanceKnown( 'jitsi', s( {} ) ) ).toBe( true );
		expect( attendanceKnown( 'jitsi', s( { jitsi_jwt_enabled: false } ) ) ).toBe( false );
		expect( attendanceKnown( 'jitsi', s( { jitsi_app_secret: '' } ) ) ).toBe( false );
		expect( attendanceKnown( 'meet', s( {} ) ) ).toBe( false );
		expect( attendanceKnown( 'webrtc', s( {} ) ) ).toBe( false );
	} );
} );

describe( 'our own join events on Jitsi', () => {
	it( 'records the provider’s and the customer’s joins: in_progress, two participants, device types, no IP by default', async () => {
		const c = await consultation( 'pair@example.test' );
		// Refused joins record nothing: before the window, and a bad id.
		ctx.clock.set( minutes( c.start, -30 ).toISOString() );
		expect( ( await customerJoin( c, { ua: UA.iphone } ) ).json ).toMatchObject( { code: 'meeting_not_open' } );
		expect( ( await call( ctx.app, HOST(), 'POST', '/v1/consultations/abc/join', undefined, ctx.clock.now() ) ).status ).toBe( 400 );
		expect( await participants( c.id ) ).toHaveLength( 0 );

		ctx.clock.set( minutes( c.start, -5 ).toISOString() );
		const host = await join( HOST(), c, { ua: UA.desktop, xff: '198.51.100.20' } );
		expect( host ).toMatchObject( { status: 200, json: { platform: 'jitsi', role: 'host' } } );
		expect( await c.row() ).toMatchObject( { status: 'in_progress', participant_count: 1 } );
		ctx.clock.set( minutes( c.start, 1 ).toISOString() );
		expect( ( await customerJoin( c, { ua: UA.iphone, xff: '203.0.113.7' } ) ).status ).toBe( 200 );

		const row = await c.row();
		expect( row ).toMatchObject( { status: 'in_progress', participant_count: 2, actual_end: null } );
		expect( utc( row.actual_start ) ).toEqual( minutes( c.start, -5 ) );
		const people = await participants( c.id );
		expect( people.map( ( p ) => [ p.platform_participant_id, p.role, p.name, p.device_type, p.ip_address, utc( p.join_time ), p.leave_time ] ) ).toEqual( [
			[ `wp-${ ids.provider }`, 'host', 'Dr. Jitsi', 'desktop', null, minutes( c.start, -5 ), null ],
			[ `customer-${ c.bookingId }`, 'participant', 'Cara Customer', 'mobile', null, minutes( c.start, 1 ), null ],
		] );
		expect( people[ 1 ] ).toMatchObject( { email: 'pair@example.test' } );
		// The session is closed at the end of the join window (scheduled end + 30 minutes by default).
		const jobs = await closeJobs( c.id );
		expect( jobs ).toHaveLength( 1 );
		expect( utc( jobs[ 0 ].run_at ) ).toEqual( minutes( c.end, 30 ) );
	} );

	it( 'stores the IP address only while store_participant_ip is on', async () => {
		expect( ( await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { store_participant_ip: true }, ctx.clock.now() ) ).status ).toBe( 200 );
		try {
			const c = await consultation( 'ip@example.test' );
			ctx.clock.set( minutes( c.start, -2 ).toISOString() );
			expect( ( await customerJoin( c, { ua: UA.androidTablet, xff: '203.0.113.9, 10.0.0.1' } ) ).status ).toBe( 200 );
			// A proxy that sent no usable address: nothing rather than WordPress's own.
			expect( ( await join( HOST(), c, { ua: UA.mac, xff: 'unknown' } ) ).status ).toBe( 200 );
			const people = await participants( c.id );
			expect( people.map( ( p ) => [ p.role, p.device_type, p.ip_address ] ) ).toEqual( [
				[ 'participant', 'tablet', '203.0.113.9' ],
				[ 'host', 'desktop', null ],
			] );
		} finally {
			expect( ( await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { store_participant_ip: false }, ctx.clock.now() ) ).status ).toBe( 200 );
		}
	} );

	it( 'adds no stay for repeated clicks, a new one after a leave, and is completed with an inferred end by session.close', async () => {
		const c = await consultation( 'clicker@example.test' );
		ctx.clock.set( minutes( c.start, 0 ).toISOString() );
		expect( ( await join( HOST(), c, { ua: UA.desktop } ) ).status ).toBe( 200 );
		for ( const m of [ 2, 3, 7 ] ) {
			ctx.clock.set( minutes( c.start, m ).toISOString() );
			expect( ( await customerJoin( c, { ua: UA.androidPhone } ) ).status ).toBe( 200 );
		}
		expect( ( await join( HOST(), c, { ua: UA.desktop } ) ).status ).toBe( 200 );
		expect( ( await participants( c.id ) ).map( ( p ) => p.role ) ).toEqual( [ 'host', 'participant' ] );
		expect( await c.row() ).toMatchObject( { participant_count: 2 } );
		expect( await closeJobs( c.id ) ).toHaveLength( 1 );

		// A leave (the built-in room's signaling will send them), then a click: a reconnect.
		const customer = { key: `customer-${ c.bookingId }`, name: 'Cara Customer', email: 'clicker@example.test', userId: null };
		await ctx.app.services.sessions.applyToMeeting( 'jitsi', c.meetingId, { kind: 'left', at: minutes( c.start, 10 ), participant: customer } );
		ctx.clock.set( minutes( c.start, 12 ).toISOString() );
		expect( ( await customerJoin( c, { ua: UA.androidPhone } ) ).status ).toBe( 200 );
		const stays = await participants( c.id );
		expect( stays.map( ( p ) => [ p.role, utc( p.join_time ), utc( p.leave_time ), p.duration_seconds ] ) ).toEqual( [
			[ 'host', c.start, null, null ],
			[ 'participant', minutes( c.start, 2 ), minutes( c.start, 10 ), 8 * 60 ],
			[ 'participant', minutes( c.start, 12 ), null, null ],
		] );
		expect( await c.row() ).toMatchObject( { status: 'in_progress', participant_count: 2 } );

		// Not before the end of the join window.
		ctx.clock.set( minutes( c.end, 29 ).toISOString() );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'in_progress', actual_end: null } );
		ctx.clock.set( minutes( c.end, 30 ).toISOString() );
		await drainAll( ctx.app );
		const row = await c.row();
		expect( row ).toMatchObject( { status: 'completed', participant_count: 2 } );
		// When it really ended is unknown: the slot's end, flagged as inferred; no overtime, no leave claimed.
		expect( utc( row.actual_end ) ).toEqual( c.end );
		expect( JSON.parse( row.metadata ) ).toMatchObject( { end_inferred: true } );
		expect( JSON.parse( row.metadata ).overtime_minutes ).toBeUndefined();
		expect( ( await participants( c.id ) ).map( ( p ) => utc( p.leave_time ) ) ).toEqual( [ null, minutes( c.start, 10 ), null ] );
		// Closed: the job again changes nothing, and Join now says it ended.
		expect( await ctx.app.services.sessions.closeUntracked( c.id ) ).toBe( 'skipped' );
		expect( ( await customerJoin( c ) ).json ).toMatchObject( { code: 'meeting_ended' } );
	} );

	it( 'calls it a no-show when the customer has not joined 15 minutes after the start, tells WordPress once, and lets a late customer in', async () => {
		const c = await consultation( 'absent@example.test' );
		ctx.clock.set( c.start.toISOString() );
		expect( ( await join( HOST(), c, { ua: UA.desktop } ) ).status ).toBe( 200 );
		const before = relay.events.length;
		ctx.clock.set( minutes( c.start, 14 ).toISOString() );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'in_progress' } );
		ctx.clock.set( minutes( c.start, 15 ).toISOString() );
		await drainAll( ctx.app );
		await drainAll( ctx.app );
		const row = await c.row();
		expect( row.status ).toBe( 'no_show' );
		expect( JSON.parse( row.metadata ).no_show ).toBe( 'customer' );
		expect( pushesFor( c.id, before ) ).toEqual( [
			expect.objectContaining( { event: 'no_show', consultationId: c.id, bookingId: c.bookingId, absent: 'customer', refund: false, scheduledStart: c.start.toISOString() } ),
		] );
		// The customer turns up at minute 18: Join still works, and the consultation is on after all.
		ctx.clock.set( minutes( c.start, 18 ).toISOString() );
		expect( ( await customerJoin( c, { ua: UA.iphone } ) ).status ).toBe( 200 );
		expect( await c.row() ).toMatchObject( { status: 'in_progress', participant_count: 2 } );
		await drainAll( ctx.app );
		expect( pushesFor( c.id, before ) ).toHaveLength( 1 );
	} );

	it( 'keeps a no-show nobody undid through the close job, judges a consultation nobody joined, and not when the check runs late', async () => {
		const absent = await consultation( 'never@example.test' );
		const empty = await consultation( 'empty@example.test' );
		const late = await consultation( 'late-check@example.test' );
		const before = relay.events.length;
		ctx.clock.set( absent.start.toISOString() );
		expect( ( await join( HOST(), absent ) ).status ).toBe( 200 );
		ctx.clock.set( minutes( absent.start, 15 ).toISOString() );
		await drainAll( ctx.app );
		await drainAll( ctx.app );
		expect( await absent.row() ).toMatchObject( { status: 'no_show', actual_end: null } );
		// The next hour: the first one's join window has closed, the second one's check is due.
		ctx.clock.set( minutes( empty.start, 15 ).toISOString() );
		await drainAll( ctx.app );
		await drainAll( ctx.app );
		const row = await absent.row();
		expect( row.status ).toBe( 'no_show' );
		expect( utc( row.actual_end ) ).toEqual( absent.end );
		expect( pushesFor( absent.id, before ) ).toEqual( [ expect.objectContaining( { absent: 'customer' } ) ] );
		// Nobody joined the second: both absent, and no session to close.
		expect( await empty.row() ).toMatchObject( { status: 'no_show', actual_start: null, actual_end: null, participant_count: 0 } );
		expect( pushesFor( empty.id, before ) ).toEqual( [ expect.objectContaining( { absent: 'both', refund: true } ) ] );
		expect( await closeJobs( empty.id ) ).toHaveLength( 0 );
		// The third one's check runs only after its join window (the sidecar was down): not judged.
		ctx.clock.set( minutes( late.end, 31 ).toISOString() );
		await drainAll( ctx.app );
		expect( await late.row() ).toMatchObject( { status: 'scheduled' } );
		expect( pushesFor( late.id, before ) ).toEqual( [] );
	} );
} );

describe( 'our own join events on Google Meet', () => {
	it( 'records joins and closes the session, but never judges a no-show', async () => {
		const c = await consultation( 'meet@example.test' );
		// A Meet consultation as Meet creates it (the Google side is not needed to join: the link is stored).
		await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', c.id ).update( { platform: 'meet', meeting_id: 'abc-defg-hij', join_url: 'https://meet.google.com/abc-defg-hij' } );
		const before = relay.events.length;
		ctx.clock.set( c.start.toISOString() );
		expect( ( await join( HOST(), c, { ua: UA.desktop } ) ).json ).toMatchObject( { platform: 'meet', join_url: 'https://meet.google.com/abc-defg-hij' } );
		expect( await c.row() ).toMatchObject( { status: 'in_progress', participant_count: 1 } );
		// The customer may well be in the meeting through Google's own link: we cannot tell.
		ctx.clock.set( minutes( c.start, 20 ).toISOString() );
		await drainAll( ctx.app );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'in_progress' } );
		expect( JSON.parse( ( await c.row() ).metadata ).no_show ).toBeUndefined();
		ctx.clock.set( minutes( c.end, 30 ).toISOString() );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'completed', participant_count: 1 } );
		expect( pushesFor( c.id, before ) ).toEqual( [] );
	} );
} );

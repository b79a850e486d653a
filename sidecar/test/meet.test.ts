/**
 * Google Meet, end to end in the sidecar against the Google fake (reference §3): an admin connects
 * Google through the OAuth routes (state + PKCE, offline access, forced consent; the refresh token
 * kept encrypted), then bookings become Calendar events with a Meet link (pending conferences
 * polled), follow reschedules (PATCH) and cancellations (DELETE), survive lost answers without a
 * second event, wait on quota errors, fail over with "reconnect Google" when the grant is revoked,
 * and are made again by the reconcile job when deleted on Google.
 */
import { pkceS256, googleQuotaError, startGoogleFake, type GoogleFake, type GoogleRecordedRequest } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decryptSecret, deriveAccessToken } from '../src/crypto';
import { ADMIN, JITSI_FALLBACK, PREFIX, SECRET, bookingx, bookSlot, call, drainAll, localSlot, setup, startMailRelay, type TestContext } from './helper';

let google: GoogleFake;
let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startMailRelay > >;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };

const CLIENT = { id: 'bkx-test.apps.googleusercontent.com', secret: 'google-secret-0123456789' };
const SITE = 'http://127.0.0.1:9';
const REDIRECT = `${ SITE }/wp-admin/admin.php?page=bkx-video&bkx_video_oauth=meet`;
const ACCOUNT = 'clinic@example.test';
const PROVIDER_EMAIL = 'provider@example.test';
const EDITOR = { sub: 5, caps: [ 'bkx_video_conduct' ], roles: [ 'editor' ], email: 'editor@example.test' };
const OTHER_ADMIN = { ...ADMIN, sub: 2, email: 'second-admin@example.test' };

beforeAll( async () => {
	google = await startGoogleFake( { clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUris: [ REDIRECT ], user: { email: ACCOUNT, sub: '4242' } } );
	relay = await startMailRelay();
	ctx = await setup( {
		env: {
			BKX_VIDEO_SITE_URL: SITE,
			BKX_VIDEO_MAIL_RELAY_URL: relay.url,
			BKX_VIDEO_GOOGLE_OAUTH_URL: google.authUrl,
			BKX_VIDEO_GOOGLE_TOKEN_URL: google.tokenUrl,
			BKX_VIDEO_GOOGLE_REVOKE_URL: google.revokeUrl,
			BKX_VIDEO_GOOGLE_CALENDAR_URL: google.calendarBase,
			BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: '3',
		},
		clockStart: new Date().toISOString(),
	} );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', PROVIDER_EMAIL, 'Dr. Meet' );
	ids = { provider, seat: await bx.seat( 'Dr. Meet', provider ), video: await bx.service( 'Video consultation', true ) };
	// Meet first, Jitsi as the fallback; the Google client is saved by the first test.
	const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', {
		zoom_enabled: false,
		meet_enabled: true,
		default_platform: 'meet',
		...JITSI_FALLBACK,
	}, ctx.clock.now() );
	expect( res.status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
	await relay?.close();
	await google?.close();
} );

const platformsRow = () => ctx.db.knex( `${ PREFIX }bkx_video_platforms` ).where( 'platform_name', 'meet' ).first();
const rows = () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).select().orderBy( 'id' );
const rowOf = async ( bookingId: number ) => ( await rows() ).find( ( r ) => r.booking_id === bookingId );
const drain = () => drainAll( ctx.app );
const oauth = ( who: Record< string, unknown >, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown ) =>
	call( ctx.app, who, method, `/v1/platforms/meet/oauth${ path }`, body, ctx.clock.now() );

/** Starts a consent and lets the fake's consent page answer: its 302 carries the code and state. */
async function consent( who: Record< string, unknown > = ADMIN ) {
	const start = await oauth( who, 'POST', '/start' );
	expect( start.status ).toBe( 200 );
	const authorize = new URL( String( start.json!.authorize_url ) );
	const page = await fetch( authorize, { redirect: 'manual' } );
	expect( page.status ).toBe( 302 );
	const back = new URL( page.headers.get( 'location' )! );
	return { authorize, back, code: back.searchParams.get( 'code' )!, state: back.searchParams.get( 'state' )! };
}

async function connect() {
	const { code, state } = await consent();
	const res = await oauth( ADMIN, 'POST', '/exchange', { code, state } );
	expect( res.status ).toBe( 200 );
	return res;
}

const slot = localSlot;
const book = ( email: string, days: number, hour: number ) => bookSlot( ctx.app, bx, ids, email, days, hour );
const EVENTS = '/calendar/v3/calendars/primary/events';
const calendarCalls = ( method: string, pathPart = EVENTS ) => google.requests.filter( ( r ) => r.method === method && r.path.startsWith( pathPart ) );
const tokenCalls = ( grant: string ) => google.requests.filter( ( r ) => r.path === '/token' && new URLSearchParams( r.body ).get( 'grant_type' ) === grant );
/** The stored meeting id is `<calendar id>/<event id>`. */
const eventId = ( row: { meeting_id: string } ) => row.meeting_id.slice( row.meeting_id.lastIndexOf( '/' ) + 1 );
const eventsOfBooking = ( bookingId: number ) =>
	[ ...google.events.values() ].filter( ( e ) => ( e.resource.extendedProperties as { private?: Record< string, string > } | undefined )?.private?.bkx_video_booking === String( bookingId ) );
/** We send our own .ics invitations, so every write tells Google to mail nobody. */
const expectWriteQuery = ( r: GoogleRecordedRequest ) => expect( r.query ).toEqual( { conferenceDataVersion: '1', sendUpdates: 'none' } );

describe( 'Connecting Google (OAuth authorization code + PKCE)', () => {
	it( 'refuses to start before the client ID and secret are saved (400 with per-field details, nothing stored)', async () => {
		const res = await oauth( ADMIN, 'POST', '/start' );
		expect( res.status ).toBe( 400 );
		expect( res.json ).toMatchObject( { code: 'invalid_request', data: { details: { meet_client_id: expect.any( String ), meet_client_secret: expect.any( String ) } } } );
		expect( await platformsRow() ).toBeUndefined();
		const saved = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { meet_client_id: CLIENT.id, meet_client_secret: CLIENT.secret }, ctx.clock.now() );
		expect( saved.status ).toBe( 200 );
	} );

	it( 'is for administrators only (403 on every route)', async () => {
		for ( const [ method, path, body ] of [ [ 'POST', '/start' ], [ 'POST', '/exchange', { code: 'x', state: 'y'.repeat( 20 ) } ], [ 'GET', '' ], [ 'DELETE', '' ] ] as const ) {
			const res = await oauth( EDITOR, method, path, body );
			expect( res.status, `${ method } ${ path }` ).toBe( 403 );
			expect( res.json?.code ).toBe( 'forbidden' );
		}
	} );

	it( 'sends the admin to Google with offline access, forced consent, state and an S256 challenge, and keeps the refresh token encrypted', async () => {
		expect( ( await oauth( ADMIN, 'GET', '' ) ).json ).toEqual( { connected: false, account: null, connected_at: null } );
		const { authorize, back, code, state } = await consent();
		expect( `${ authorize.origin }${ authorize.pathname }` ).toBe( google.authUrl );
		expect( Object.fromEntries( authorize.searchParams ) ).toEqual( {
			client_id: CLIENT.id,
			redirect_uri: REDIRECT,
			response_type: 'code',
			scope: 'https://www.googleapis.com/auth/calendar.events',
			access_type: 'offline',
			prompt: 'consent',
			state: expect.stringMatching( /^[\w-]{43}$/ ),
			code_challenge: expect.stringMatching( /^[\w-]{43}$/ ),
			code_challenge_method: 'S256',
		} );
		// Google sends the browser back to our admin screen.
		expect( back.toString().startsWith( `${ REDIRECT }&` ) ).toBe( true );
		expect( state ).toBe( authorize.searchParams.get( 'state' ) );

		// Another admin cannot finish it; nothing is stored.
		const foreign = await oauth( OTHER_ADMIN, 'POST', '/exchange', { code, state } );
		expect( foreign.status ).toBe( 400 );
		expect( foreign.json ).toMatchObject( { code: 'oauth_state_invalid', data: { reason: 'other_user' } } );
		expect( ( await oauth( ADMIN, 'POST', '/exchange', { code, state: 'made-up-state-0123456789' } ) ).json ).toMatchObject( { code: 'oauth_state_invalid', data: { reason: 'unknown' } } );
		const bad = await oauth( ADMIN, 'POST', '/exchange', { state } );
		expect( bad.status ).toBe( 400 );
		expect( bad.json ).toMatchObject( { code: 'invalid_request', data: { details: { code: expect.any( String ) } } } );
		expect( ( await platformsRow() )?.refresh_token ?? null ).toBeNull();
		expect( tokenCalls( 'authorization_code' ) ).toHaveLength( 0 );

		const res = await oauth( ADMIN, 'POST', '/exchange', { code, state } );
		expect( res.status ).toBe( 200 );
		expect( res.json ).toEqual( { connected: true, account: ACCOUNT } );

		// PKCE: the verifier sent to Google hashes to the challenge of the consent URL (the fake checks it too).
		const exchange = new URLSearchParams( tokenCalls( 'authorization_code' )[ 0 ]!.body );
		expect( Object.fromEntries( exchange ) ).toEqual( {
			code,
			client_id: CLIENT.id,
			client_secret: CLIENT.secret,
			redirect_uri: REDIRECT,
			grant_type: 'authorization_code',
			code_verifier: expect.stringMatching( /^[\w-]{43,128}$/ ),
		} );
		expect( pkceS256( exchange.get( 'code_verifier' )! ) ).toBe( authorize.searchParams.get( 'code_challenge' ) );

		// Encrypted at rest, never in an answer.
		const refresh = google.tokensIssued.find( ( t ) => t.kind === 'refresh' )!.token;
		const row = await platformsRow();
		expect( row.refresh_token ).toMatch( /^v1:/ );
		expect( row.refresh_token ).not.toContain( refresh );
		expect( decryptSecret( ctx.config.encryptionKey, row.refresh_token ) ).toBe( refresh );
		expect( row.config ).not.toContain( refresh );
		const status = await oauth( ADMIN, 'GET', '' );
		expect( status.json ).toEqual( { connected: true, account: ACCOUNT, connected_at: expect.stringMatching( /^\d{4}-\d\d-\d\dT/ ) } );
		expect( JSON.stringify( [ res.json, status.json ] ) ).not.toContain( refresh );

		// Single use.
		const replay = await oauth( ADMIN, 'POST', '/exchange', { code, state } );
		expect( replay.status ).toBe( 400 );
		expect( replay.json ).toMatchObject( { code: 'oauth_state_invalid', data: { reason: 'used' } } );
		expect( tokenCalls( 'authorization_code' ) ).toHaveLength( 1 );
	} );

	it( 'refuses a state older than 10 minutes and a code Google rejects, keeping the connection as it was', async () => {
		const before = ( await platformsRow() ).refresh_token;
		const late = await consent();
		ctx.clock.advance( 11 * 60_000 );
		try {
			const expired = await oauth( ADMIN, 'POST', '/exchange', { code: late.code, state: late.state } );
			expect( expired.status ).toBe( 400 );
			expect( expired.json ).toMatchObject( { code: 'oauth_state_invalid', data: { reason: 'expired' } } );
			expect( String( expired.json!.message ) ).toContain( 'expired' );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
		const { state } = await consent();
		const refused = await oauth( ADMIN, 'POST', '/exchange', { code: '4/0not-a-code-google-made', state } );
		expect( refused.status ).toBe( 400 );
		expect( refused.json ).toMatchObject( { code: 'oauth_code_rejected', message: expect.stringMatching( /^Google did not accept the sign-in code/ ) } );
		expect( ( await platformsRow() ).refresh_token ).toBe( before );
	} );
} );

describe( 'Google Meet events follow bookings', () => {
	it( 'creates an event with a Meet link on booking, polling while the conference is pending, without Google mailing anyone', async () => {
		google.setKnobs( { conferencePendingGets: 2 } );
		const refreshesBefore = tokenCalls( 'refresh_token' ).length;
		try {
			const bookingId = await book( 'cara@example.test', 3, 10 );
			const row = await rowOf( bookingId );
			expect( row ).toMatchObject( { platform: 'meet', status: 'scheduled', host_url: null, meeting_password: null } );
			expect( row.meeting_id ).toMatch( new RegExp( `^primary/[0-9a-v]{8}b${ bookingId }g0$` ) );
			const stored = google.events.get( eventId( row ) )!;
			expect( stored.conference?.status ).toBe( 'success' );
			expect( row.join_url ).toBe( `https://meet.google.com/${ stored.conference!.conferenceId }` );

			const insert = calendarCalls( 'POST' ).at( -1 )!;
			expect( insert.path ).toBe( EVENTS );
			expectWriteQuery( insert );
			const body = JSON.parse( insert.body ) as Record< string, any >;
			expect( body ).toEqual( {
				id: eventId( row ),
				summary: 'Video consultation — Cara Customer',
				start: { dateTime: expect.stringMatching( /T09:00:00\.000Z$/ ), timeZone: 'Europe/Berlin' }, // 10:00 in Berlin, winter
				end: { dateTime: expect.stringMatching( /T09:30:00\.000Z$/ ), timeZone: 'Europe/Berlin' },
				attendees: [ { email: PROVIDER_EMAIL, displayName: 'Dr. Meet' } ],
				description: expect.any( String ),
				guestsCanInviteOthers: false,
				guestsCanSeeOtherGuests: false,
				extendedProperties: { private: { bkx_video_booking: String( bookingId ), bkx_video_site: expect.stringMatching( /^[0-9a-v]{8}$/ ) } },
				conferenceData: { createRequest: { requestId: expect.any( String ), conferenceSolutionKey: { type: 'hangoutsMeet' } } },
			} );
			// pending on insert, pending on the first GET, success on the second.
			expect( calendarCalls( 'GET', `${ EVENTS }/${ eventId( row ) }` ) ).toHaveLength( 2 );
			expect( google.notifications ).toHaveLength( 0 );
			// The exchange's access token is reused: no refresh yet.
			expect( tokenCalls( 'refresh_token' ).length ).toBe( refreshesBefore );
		} finally {
			google.setKnobs( { conferencePendingGets: 0 } );
		}
	} );

	it( 'gives the customer and the host the Meet link, without calling Google', async () => {
		const bookingId = await book( 'clicky@example.test', 2, 16 );
		const row = await rowOf( bookingId );
		ctx.clock.set( new Date( new Date( `${ row.scheduled_start.replace( ' ', 'T' ) }Z` ).getTime() - 5 * 60_000 ).toISOString() );
		try {
			const before = google.requests.length;
			const token = deriveAccessToken( SECRET, row.id, 1 );
			const customer = await call( ctx.app, { sub: 0 }, 'POST', `/v1/consultations/${ row.id }/join?bkx_vc=${ token }`, undefined, ctx.clock.now() );
			expect( customer.status ).toBe( 200 );
			expect( customer.json ).toMatchObject( { join_url: row.join_url, role: 'participant', platform: 'meet' } );
			const host = await call( ctx.app, { sub: ids.provider, caps: [ 'bkx_video_conduct' ], email: PROVIDER_EMAIL }, 'POST', `/v1/consultations/${ row.id }/join`, undefined, ctx.clock.now() );
			expect( host.json ).toMatchObject( { join_url: row.join_url, role: 'host' } );
			expect( google.requests.length ).toBe( before );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it( 'moves the event on reschedule (PATCH, conference kept) and deletes it on cancel', async () => {
		const bookingId = await book( 'mover@example.test', 4, 9 );
		const before = await rowOf( bookingId );
		const id = eventId( before );
		const s = slot( 5, 15, 45 );
		await bx.setMeta( bookingId, 'booking_start_date', s.start );
		await bx.setMeta( bookingId, 'booking_end_date', s.end );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const patches = calendarCalls( 'PATCH', `${ EVENTS }/${ id }` );
		expect( patches ).toHaveLength( 1 );
		expectWriteQuery( patches[ 0 ]! );
		const body = JSON.parse( patches[ 0 ]!.body ) as Record< string, any >;
		// No conferenceData: the Meet link stays.
		expect( body ).toEqual( {
			summary: 'Video consultation — Cara Customer',
			start: { dateTime: expect.stringMatching( /T14:00:00\.000Z$/ ), timeZone: 'Europe/Berlin' },
			end: { dateTime: expect.stringMatching( /T14:45:00\.000Z$/ ), timeZone: 'Europe/Berlin' },
			attendees: [ { email: PROVIDER_EMAIL, displayName: 'Dr. Meet' } ],
		} );
		const after = await rowOf( bookingId );
		expect( after ).toMatchObject( { meeting_id: before.meeting_id, join_url: before.join_url, duration_minutes: 45 } );
		expect( ( google.events.get( id )!.resource.start as { dateTime: string } ).dateTime ).toMatch( /T14:00:00/ );

		await bx.setStatus( bookingId, 'bkx-cancelled' );
		await bx.event( bookingId, 'booking.status' );
		await drain();
		const deletes = calendarCalls( 'DELETE', `${ EVENTS }/${ id }` );
		expect( deletes ).toHaveLength( 1 );
		expect( deletes[ 0 ]!.query ).toEqual( { sendUpdates: 'none' } );
		expect( deletes[ 0 ]!.status ).toBe( 204 );
		expect( google.events.get( id )!.deleted ).toBe( true );
		expect( await rowOf( bookingId ) ).toMatchObject( { status: 'cancelled' } );
		expect( google.notifications ).toHaveLength( 0 );
	} );

	it( 'makes one event when the create answer is lost: found by its id at once, or by 409 on the retry', async () => {
		// 1. Lost answer, the event is read back straight away.
		google.loseNextCreateResponse();
		const first = await book( 'lost@example.test', 6, 10 );
		const firstRow = await rowOf( first );
		expect( firstRow ).toMatchObject( { platform: 'meet', status: 'scheduled' } );
		expect( eventsOfBooking( first ) ).toHaveLength( 1 );
		expect( calendarCalls( 'POST' ).filter( ( r ) => JSON.parse( r.body ).id === eventId( firstRow ) ) ).toHaveLength( 1 );

		// 2. Lost answer and the read fails too: wait (no failover), then the retry gets 409 and reads it.
		google.loseNextCreateResponse();
		google.failWith( { reset: true, times: 1, match: { method: 'GET', path: /\/events\/[^/]+$/ } } );
		const second = await bx.booking( { serviceId: ids.video, seatId: ids.seat, ...slot( 6, 12 ), email: 'lost-twice@example.test' } );
		await bx.event( second, 'booking.saved' );
		await drain();
		expect( await rowOf( second ) ).toBeUndefined();
		expect( eventsOfBooking( second ) ).toHaveLength( 1 );
		try {
			ctx.clock.advance( 3600_000 );
			await drain();
			const row = await rowOf( second );
			expect( row ).toMatchObject( { platform: 'meet', status: 'scheduled' } );
			expect( eventsOfBooking( second ) ).toHaveLength( 1 );
			const inserts = calendarCalls( 'POST' ).filter( ( r ) => JSON.parse( r.body ).id === eventId( row ) );
			expect( inserts.map( ( r ) => r.status ?? 'dropped' ) ).toEqual( [ 'dropped', 409 ] );
			expect( row.join_url ).toBe( `https://meet.google.com/${ eventsOfBooking( second )[ 0 ]!.conference!.conferenceId }` );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it.each( [
		[ '429 rateLimitExceeded', 429, googleQuotaError( 'tooManyRequests' ) ],
		[ '403 userRateLimitExceeded', 403, googleQuotaError( 'userRateLimitExceeded' ) ],
	] as const )( 'waits on %s instead of failing over, then creates once', async ( _label, status, body ) => {
		google.failWith( { status, body, times: 1, match: { method: 'POST', path: /\/events$/ } } );
		const bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, ...slot( 8, status === 429 ? 10 : 12 ), email: `busy-${ status }@example.test` } );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const event = await ctx.db.knex( `${ PREFIX }bkx_video_events` ).where( 'booking_id', bookingId ).first();
		expect( event.processed_at ).toBeNull();
		expect( event.last_error ).toMatch( /quota/ );
		// No Retry-After from Google (§3.4): 30–60 s with jitter.
		const waitMs = new Date( `${ event.claimed_until.replace( ' ', 'T' ) }Z` ).getTime() - ctx.clock.now().getTime();
		expect( waitMs ).toBeGreaterThanOrEqual( 29_000 );
		expect( waitMs ).toBeLessThanOrEqual( 61_000 );
		expect( await rowOf( bookingId ) ).toBeUndefined();
		try {
			ctx.clock.advance( 61_000 );
			await drain();
			expect( await rowOf( bookingId ) ).toMatchObject( { platform: 'meet', status: 'scheduled' } );
			expect( eventsOfBooking( bookingId ) ).toHaveLength( 1 );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it( 'reconcile makes the event again (next id) when it was deleted on Google', async () => {
		const bookingId = await book( 'deleted-there@example.test', 10, 10 );
		const before = await rowOf( bookingId );
		const gone = google.events.get( eventId( before ) )!;
		// Deleted in Google Calendar by hand: readable as cancelled (§3.3), its id used up.
		gone.deleted = true;
		gone.resource.status = 'cancelled';
		await ctx.app.workers.reconcile();
		const after = await rowOf( bookingId );
		expect( after.meeting_id ).toBe( before.meeting_id.replace( /g0$/, 'g1' ) );
		expect( after.join_url ).not.toBe( before.join_url );
		expect( after.status ).toBe( 'scheduled' );
		expect( google.events.get( eventId( after ) )?.deleted ).toBe( false );
		expect( calendarCalls( 'POST' ).filter( ( r ) => JSON.parse( r.body ).id === eventId( before ) ).map( ( r ) => r.status ) ).toEqual( [ 200, 409 ] );
	} );

	it( 'fails over to Jitsi with "reconnect Google" when the refresh token was revoked (invalid_grant)', async () => {
		google.revokeRefreshToken();
		try {
			const bookingId = await book( 'revoked@example.test', 9, 10 );
			const row = await rowOf( bookingId );
			expect( row ).toMatchObject( { platform: 'jitsi', status: 'scheduled' } );
			const failures = JSON.parse( row.metadata ).platform_failures as Array< { platform: string; reason: string } >;
			expect( failures ).toEqual( [
				{ platform: 'meet', reason: expect.stringMatching( /^unauthorized: Google no longer accepts the stored authorization \(Token has been expired or revoked\.\).*reconnect Google/ ) },
			] );
			// The calendar refused the revoked access token, the refresh said invalid_grant.
			expect( tokenCalls( 'refresh_token' ).at( -1 )!.status ).toBe( 400 );
		} finally {
			await connect();
		}
	} );
} );

describe( 'test_meet_integration: disconnect, reconnect, check, book', () => {
	it( 'revokes at Google on disconnect, falls back meanwhile, and works again after connecting', async () => {
		const refresh = decryptSecret( ctx.config.encryptionKey, ( await platformsRow() ).refresh_token );
		const off = await oauth( ADMIN, 'DELETE', '' );
		expect( off.json ).toEqual( { connected: false } );
		const revoke = google.requests.filter( ( r ) => r.path === '/revoke' ).at( -1 )!;
		expect( new URLSearchParams( revoke.body ).get( 'token' ) ).toBe( refresh );
		expect( revoke.status ).toBe( 200 );
		expect( ( await platformsRow() ).refresh_token ).toBeNull();
		expect( ( await oauth( ADMIN, 'GET', '' ) ).json ).toEqual( { connected: false, account: null, connected_at: null } );
		// Again: still fine.
		expect( ( await oauth( ADMIN, 'DELETE', '' ) ).json ).toEqual( { connected: false } );

		const meanwhile = await book( 'meanwhile@example.test', 12, 10 );
		const fallback = await rowOf( meanwhile );
		expect( fallback.platform ).toBe( 'jitsi' );
		expect( JSON.parse( fallback.metadata ).platform_failures[ 0 ] ).toEqual( { platform: 'meet', reason: expect.stringMatching( /^not_configured: Google is not connected yet/ ) } );

		await connect();
		const check = await call( ctx.app, ADMIN, 'POST', '/v1/platforms/meet/check', { step: 'connection' }, ctx.clock.now() );
		expect( check.status ).toBe( 200 );
		expect( check.json ).toMatchObject( { ok: true, message: `Google accepted the connection of ${ ACCOUNT }; meetings go to the calendar "${ ACCOUNT }" (primary).` } );
		const list = calendarCalls( 'GET' ).at( -1 )!;
		expect( list.path ).toBe( EVENTS );
		expect( list.query ).toEqual( { maxResults: '1' } );

		const bookingId = await book( 'again@example.test', 12, 14 );
		const row = await rowOf( bookingId );
		expect( row ).toMatchObject( { platform: 'meet', status: 'scheduled' } );
		expect( row.join_url ).toMatch( /^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/ );
		// Our invitation (with its .ics) is the only one: Google was told to mail nobody.
		await drain();
		const invitations = relay.mails.filter( ( m ) => JSON.stringify( m.to ) === '["again@example.test"]' );
		expect( invitations ).toHaveLength( 1 );
		expect( ( invitations[ 0 ]!.attachments as Array< { filename: string } > ).map( ( a ) => a.filename ) ).toEqual( [ 'invite.ics' ] );
		expect( google.notifications ).toHaveLength( 0 );
	} );
} );

/**
 * Microsoft Teams, end to end in the sidecar against the Graph fake (reference §2): bookings become
 * online meetings organized by the provider (createOrGet with our externalId, then a PATCH with the
 * lobby), follow reschedules (PATCH 200 + body) and cancellations, fail over with a plain-words
 * reason when the application access policy is missing or the credentials are wrong, wait on 429,
 * renew revoked tokens, re-create meetings deleted on Graph, and never make a second meeting for a
 * lost answer or a duplicated event.
 */
import { createHmac } from 'node:crypto';

import { startGraphFake, type GraphFake } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deriveAccessToken } from '../src/crypto';
import { ADMIN, JITSI_FALLBACK, PREFIX, SECRET, bookingx, bookSlot, call, drainAll, localSlot, setup, startMailRelay, type TestContext } from './helper';

let graph: GraphFake;
let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startMailRelay > >;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };

const CREDS = { tenantId: 'tenant-4711', clientId: 'client-4711', clientSecret: 'graph-secret-0123456789' };
const PROVIDER = { id: '7d0c6a2e-1111-4111-a111-0000000000aa', upn: 'provider@example.test', displayName: 'Dr. Tea' };
const SECOND = { id: '7d0c6a2e-2222-4222-a222-0000000000bb', upn: 'second@example.test', displayName: 'Dr. Two' };

beforeAll( async () => {
	graph = await startGraphFake( { ...CREDS, users: [ PROVIDER, SECOND ], audioConferencing: true } );
	relay = await startMailRelay();
	ctx = await setup( {
		env: { BKX_VIDEO_MAIL_RELAY_URL: relay.url, BKX_VIDEO_GRAPH_URL: graph.url, BKX_VIDEO_MS_LOGIN_URL: graph.loginBase, BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: '3' },
		clockStart: new Date().toISOString(),
	} );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', PROVIDER.upn, 'Dr. Tea' );
	ids = { provider, seat: await bx.seat( 'Dr. Tea', provider ), video: await bx.service( 'Video consultation', true ) };
	const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', {
		zoom_enabled: false,
		teams_enabled: true,
		default_platform: 'teams',
		teams_tenant_id: CREDS.tenantId,
		teams_client_id: CREDS.clientId,
		teams_client_secret: CREDS.clientSecret,
		teams_allow_pstn_users: false,
		...JITSI_FALLBACK,
	}, ctx.clock.now() );
	expect( res.status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
	await relay?.close();
	await graph?.close();
} );

const rows = () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).select().orderBy( 'id' );
const rowOf = async ( bookingId: number ) => ( await rows() ).find( ( r ) => r.booking_id === bookingId );
const drain = () => drainAll( ctx.app );
const slot = localSlot;
const book = ( email: string, days: number, hour: number ) => bookSlot( ctx.app, bx, ids, email, days, hour );
const meetingsPath = `/v1.0/users/${ PROVIDER.id }/onlineMeetings`;
const createOrGetPath = `${ meetingsPath }/createOrGet`;
/** The site key booking-sync derives from the site's shared secret. */
const SITE_KEY = createHmac( 'sha256', SECRET ).update( 'bkx-video-site-key' ).digest( 'hex' ).slice( 0, 16 );
const externalId = ( bookingId: number, generation: number ) => `bkx-${ SITE_KEY }-b${ bookingId }-g${ generation }`;
const bodyOf = ( r: { body: string } ) => JSON.parse( r.body ) as Record< string, any >;
/** createOrGet calls for one booking (any generation). */
const createOrGets = ( bookingId: number ) =>
	apiCalls( 'POST', '/onlineMeetings/createOrGet' ).filter( ( r ) => String( bodyOf( r ).externalId ).startsWith( `bkx-${ SITE_KEY }-b${ bookingId }-g` ) );
const patchesOf = ( id: string ) => apiCalls( 'PATCH', `${ meetingsPath }/` ).filter( ( r ) => decodeURIComponent( r.path ) === `${ meetingsPath }/${ id }` );
const apiCalls = ( method: string, pathPart: string ) => graph.requests.filter( ( r ) => r.method === method && r.path.includes( pathPart ) );
const tokenCalls = () => graph.requests.filter( ( r ) => r.path.endsWith( '/oauth2/v2.0/token' ) );
/** The stored meeting id is `<organizer object id>:<Graph meeting id>`. */
const graphId = ( row: { meeting_id: string } ) => row.meeting_id.slice( row.meeting_id.indexOf( ':' ) + 1 );

describe( 'Teams meetings follow bookings', () => {
	it( 'creates an online meeting organized by the provider, with lobby settings, and one token for many calls', async () => {
		const bookingId = await book( 'tina@example.test', 3, 10 );
		const row = await rowOf( bookingId );
		expect( row ).toMatchObject( { platform: 'teams', status: 'scheduled' } );
		expect( row.meeting_id.startsWith( `${ PROVIDER.id }:` ) ).toBe( true );
		const stored = graph.meetings.get( graphId( row ) );
		expect( stored ).toBeDefined();
		expect( row.join_url ).toBe( stored!.joinWebUrl );
		expect( row.join_url ).toMatch( /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\// );
		expect( row.meeting_password ).toBe( ( stored!.joinMeetingIdSettings as { passcode: string } ).passcode );
		expect( row.host_url ).toBeNull();

		// The organizer's object id comes from their sign-in name.
		expect( apiCalls( 'GET', `/v1.0/users/${ encodeURIComponent( PROVIDER.upn ) }` ).length + apiCalls( 'GET', `/v1.0/users/${ PROVIDER.upn }` ).length ).toBeGreaterThanOrEqual( 1 );
		// createOrGet with our externalId (site key, booking, generation 0): subject and times only.
		const creates = apiCalls( 'POST', meetingsPath );
		expect( creates ).toHaveLength( 1 );
		expect( creates[ 0 ]!.path ).toBe( createOrGetPath );
		expect( creates[ 0 ]!.status ).toBe( 201 );
		expect( bodyOf( creates[ 0 ]! ) ).toEqual( {
			externalId: externalId( bookingId, 0 ),
			subject: 'Video consultation — Cara Customer',
			startDateTime: expect.stringMatching( /T09:00:00\.000Z$/ ), // 10:00 in Berlin, winter
			endDateTime: expect.stringMatching( /T09:30:00\.000Z$/ ),
		} );
		expect( externalId( bookingId, 0 ) ).toMatch( /^bkx-[0-9a-f]{16}-b\d+-g0$/ );
		expect( stored!.externalId ).toBe( externalId( bookingId, 0 ) );
		// Then the lobby (createOrGet takes none), with the subject and times again; no join settings.
		const patches = patchesOf( graphId( row ) );
		expect( patches ).toHaveLength( 1 );
		expect( patches[ 0 ]!.status ).toBe( 200 );
		expect( bodyOf( patches[ 0 ]! ) ).toEqual( {
			subject: 'Video consultation — Cara Customer',
			startDateTime: bodyOf( creates[ 0 ]! ).startDateTime,
			endDateTime: bodyOf( creates[ 0 ]! ).endDateTime,
			lobbyBypassSettings: { scope: 'organizer', isDialInBypassEnabled: false },
		} );
		expect( stored!.lobbyBypassSettings ).toEqual( { scope: 'organizer', isDialInBypassEnabled: false } );
		// The passcode follows the tenant's meeting policy (the fake's default: required).
		expect( ( stored!.joinMeetingIdSettings as { isPasscodeRequired: boolean } ).isPasscodeRequired ).toBe( true );
		expect( ( stored!.participants as { organizer: { upn: string } } ).organizer.upn ).toBe( PROVIDER.upn );

		// The token form follows §2.1.
		const form = new URLSearchParams( tokenCalls()[ 0 ]!.body );
		expect( tokenCalls()[ 0 ]!.path ).toBe( `/${ CREDS.tenantId }/oauth2/v2.0/token` );
		expect( Object.fromEntries( form ) ).toEqual( { client_id: CREDS.clientId, client_secret: CREDS.clientSecret, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' } );

		const second = await book( 'tom@example.test', 3, 12 );
		expect( tokenCalls() ).toHaveLength( 1 );
		expect( apiCalls( 'POST', meetingsPath ) ).toHaveLength( 2 );
		expect( bodyOf( apiCalls( 'POST', meetingsPath )[ 1 ]! ).externalId ).toBe( externalId( second, 0 ) );
	} );

	it( 'lets everyone bypass the lobby when the waiting room is off, and phone users per teams_allow_pstn_users', async () => {
		const off = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { waiting_room_enabled: false, teams_allow_pstn_users: true }, ctx.clock.now() );
		expect( off.status ).toBe( 200 );
		try {
			const bookingId = await book( 'open@example.test', 3, 14 );
			const row = await rowOf( bookingId );
			expect( bodyOf( patchesOf( graphId( row ) )[ 0 ]! ).lobbyBypassSettings ).toEqual( { scope: 'everyone', isDialInBypassEnabled: true } );
			expect( graph.meetings.get( graphId( row ) )?.lobbyBypassSettings ).toEqual( { scope: 'everyone', isDialInBypassEnabled: true } );
		} finally {
			const back = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { waiting_room_enabled: true, teams_allow_pstn_users: false }, ctx.clock.now() );
			expect( back.status ).toBe( 200 );
		}
	} );

	it( 'gives the customer and the host the same joinWebUrl, without calling Graph', async () => {
		const bookingId = await book( 'clicky@example.test', 2, 16 );
		const row = await rowOf( bookingId );
		ctx.clock.set( new Date( new Date( `${ row.scheduled_start.replace( ' ', 'T' ) }Z` ).getTime() - 5 * 60_000 ).toISOString() );
		try {
			const before = graph.requests.length;
			const token = deriveAccessToken( SECRET, row.id, 1 );
			const customer = await call( ctx.app, { sub: 0 }, 'POST', `/v1/consultations/${ row.id }/join?bkx_vc=${ token }`, undefined, ctx.clock.now() );
			expect( customer.status ).toBe( 200 );
			expect( customer.json ).toMatchObject( { join_url: row.join_url, role: 'participant' } );
			const host = await call( ctx.app, { sub: ids.provider, caps: [ 'bkx_video_conduct' ], email: PROVIDER.upn }, 'POST', `/v1/consultations/${ row.id }/join`, undefined, ctx.clock.now() );
			expect( host.status ).toBe( 200 );
			expect( host.json ).toMatchObject( { join_url: row.join_url, role: 'host' } );
			expect( graph.requests.length ).toBe( before );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it( 'moves the meeting on reschedule (PATCH answers 200 with the meeting) and deletes it on cancel', async () => {
		const bookingId = await book( 'mover@example.test', 4, 9 );
		const before = await rowOf( bookingId );
		const id = graphId( before );
		const s = slot( 5, 15, 45 );
		await bx.setMeta( bookingId, 'booking_start_date', s.start );
		await bx.setMeta( bookingId, 'booking_end_date', s.end );
		const creates = apiCalls( 'POST', meetingsPath ).length;
		const patchesBefore = apiCalls( 'PATCH', `${ meetingsPath }/` ).length;
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const patches = apiCalls( 'PATCH', `${ meetingsPath }/` ).slice( patchesBefore );
		expect( patches ).toHaveLength( 1 );
		expect( apiCalls( 'POST', meetingsPath ).length ).toBe( creates );
		expect( decodeURIComponent( patches[ 0 ]!.path ) ).toBe( `${ meetingsPath }/${ id }` );
		const body = JSON.parse( patches[ 0 ]!.body ) as Record< string, any >;
		// Both times (§2.3), no organizer or join settings (immutable).
		expect( body ).toEqual( {
			subject: 'Video consultation — Cara Customer',
			startDateTime: expect.stringMatching( /T14:00:00\.000Z$/ ),
			endDateTime: expect.stringMatching( /T14:45:00\.000Z$/ ),
			lobbyBypassSettings: { scope: 'organizer', isDialInBypassEnabled: false },
		} );
		expect( patches[ 0 ]!.status ).toBe( 200 );
		// The PATCH answer is the meeting: nothing is read back.
		expect( apiCalls( 'GET', `${ meetingsPath }/` ) ).toHaveLength( 0 );
		const after = await rowOf( bookingId );
		expect( after ).toMatchObject( { meeting_id: before.meeting_id, join_url: before.join_url, duration_minutes: 45 } );
		expect( after.scheduled_start ).toMatch( / 14:00:00$/ );
		expect( graph.meetings.get( id )?.startDateTime ).toMatch( /T14:00:00/ );

		await bx.setStatus( bookingId, 'bkx-cancelled' );
		await bx.event( bookingId, 'booking.status' );
		await drain();
		const deletes = apiCalls( 'DELETE', `${ meetingsPath }/` );
		expect( deletes ).toHaveLength( 1 );
		expect( deletes[ 0 ]!.status ).toBe( 204 );
		expect( graph.meetings.has( id ) ).toBe( false );
		expect( await rowOf( bookingId ) ).toMatchObject( { status: 'cancelled' } );
	} );

	it( 'gives the meeting to the new provider when the booking changes seat (Teams organizers are immutable)', async () => {
		const secondUser = await bx.user( 'second', SECOND.upn, 'Dr. Two' );
		const secondSeat = await bx.seat( 'Dr. Two', secondUser );
		const bookingId = await book( 'switch@example.test', 4, 11 );
		const before = await rowOf( bookingId );
		await bx.setMeta( bookingId, 'seat_id', String( secondSeat ) );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const after = await rowOf( bookingId );
		expect( after.meeting_id.startsWith( `${ SECOND.id }:` ) ).toBe( true );
		expect( graph.meetings.get( graphId( after ) )?.userId ).toBe( SECOND.id );
		expect( graph.meetings.has( graphId( before ) ) ).toBe( false );
		expect( after.join_url ).not.toBe( before.join_url );
	} );

	it( 'with tenant-wide externalIds, a new provider does not take over the old provider\'s meeting', async () => {
		graph.setKnobs( { externalIdScope: 'tenant' } );
		try {
			const secondSeat = await bx.seat( 'Dr. Two again', await bx.user( 'second2', SECOND.upn, 'Dr. Two' ) );
			const bookingId = await book( 'tenantwide@example.test', 4, 15 );
			const before = await rowOf( bookingId );
			await bx.setMeta( bookingId, 'seat_id', String( secondSeat ) );
			await bx.event( bookingId, 'booking.saved' );
			await drain();
			const after = await rowOf( bookingId );
			expect( after.meeting_id.startsWith( `${ SECOND.id }:` ) ).toBe( true );
			expect( graph.meetings.get( graphId( after ) )?.userId ).toBe( SECOND.id );
			expect( graph.meetings.get( graphId( after ) )?.externalId ).toBe( externalId( bookingId, 1 ) );
			expect( graph.meetings.has( graphId( before ) ) ).toBe( false );
			// Generation 0 answered with the first provider's meeting: skipped, never PATCHed by the second.
			const second = createOrGets( bookingId ).filter( ( r ) => r.path.includes( SECOND.id ) );
			expect( second.map( ( r ) => [ bodyOf( r ).externalId, r.status ] ) ).toEqual( [
				[ externalId( bookingId, 0 ), 200 ],
				[ externalId( bookingId, 1 ), 201 ],
			] );
			expect( apiCalls( 'PATCH', `/v1.0/users/${ SECOND.id }/onlineMeetings/${ encodeURIComponent( graphId( before ) ) }` ) ).toHaveLength( 0 );
		} finally {
			graph.setKnobs( { externalIdScope: 'organizer' } );
		}
	} );

	it( 'deletes the meeting before failing over when Teams refuses the lobby PATCH', async () => {
		graph.failWith( { status: 400, code: 'BadRequest', message: 'Invalid lobby.', match: { method: 'PATCH', path: /onlineMeetings\// } } );
		const before = graph.meetings.size;
		const bookingId = await book( 'badpatch@example.test', 6, 14 );
		const row = await rowOf( bookingId );
		expect( row ).toMatchObject( { platform: 'jitsi', status: 'scheduled' } );
		const failures = JSON.parse( row.metadata ).platform_failures as Array< { platform: string; reason: string } >;
		expect( failures ).toEqual( [ { platform: 'teams', reason: expect.stringMatching( /^rejected: Teams answered 400 \(BadRequest\): Invalid lobby\./ ) } ] );
		const [ attempt ] = createOrGets( bookingId );
		expect( attempt!.status ).toBe( 201 );
		expect( graph.meetings.size ).toBe( before );
		expect( apiCalls( 'DELETE', `${ meetingsPath }/` ).at( -1 )!.status ).toBe( 204 );
	} );

	it( 'fails over to Jitsi when the application access policy is missing, and says how to grant it', async () => {
		graph.setKnobs( { accessPolicyGranted: false } );
		try {
			const bookingId = await book( 'nopolicy@example.test', 6, 10 );
			const row = await rowOf( bookingId );
			expect( row ).toMatchObject( { platform: 'jitsi', status: 'scheduled' } );
			const failures = JSON.parse( row.metadata ).platform_failures as Array< { platform: string; reason: string } >;
			expect( failures ).toHaveLength( 1 );
			expect( failures[ 0 ]!.platform ).toBe( 'teams' );
			expect( failures[ 0 ]!.reason ).toMatch( /^rejected: Teams refused: the app is not allowed to create meetings for provider@example\.test\. A Microsoft 365 admin must grant an application access policy: New-CsApplicationAccessPolicy .*Grant-CsApplicationAccessPolicy / );
			expect( failures[ 0 ]!.reason ).toContain( CREDS.clientId );
		} finally {
			graph.setKnobs( { accessPolicyGranted: true } );
		}
	} );

	it( 'fails over with a sentence naming the wrong credential when Microsoft refuses the client secret', async () => {
		graph.setKnobs( { clientSecret: 'rotated-in-entra' } );
		graph.revokeTokens();
		try {
			const bookingId = await book( 'badsecret@example.test', 6, 12 );
			const row = await rowOf( bookingId );
			expect( row ).toMatchObject( { platform: 'jitsi', status: 'scheduled' } );
			const failures = JSON.parse( row.metadata ).platform_failures as Array< { platform: string; reason: string } >;
			expect( failures ).toEqual( [ { platform: 'teams', reason: expect.stringMatching( /^unauthorized: Microsoft refused the Teams client secret\./ ) } ] );
		} finally {
			graph.setKnobs( { clientSecret: CREDS.clientSecret } );
		}
	} );

	it( 'waits for Retry-After on 429 instead of failing over, then creates once', async () => {
		graph.failWith( { status: 429, code: 'TooManyRequests', message: 'Please retry again later.', retryAfter: 30, times: 1, match: { method: 'POST', path: /onlineMeetings\/createOrGet$/ } } );
		const creates = apiCalls( 'POST', meetingsPath ).length;
		const bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, ...slot( 8, 10 ), email: 'busy@example.test' } );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		const event = await ctx.db.knex( `${ PREFIX }bkx_video_events` ).where( 'booking_id', bookingId ).first();
		expect( event.processed_at ).toBeNull();
		const waitMs = new Date( `${ event.claimed_until.replace( ' ', 'T' ) }Z` ).getTime() - ctx.clock.now().getTime();
		expect( waitMs ).toBeGreaterThanOrEqual( 29_000 );
		expect( await rowOf( bookingId ) ).toBeUndefined();
		try {
			ctx.clock.advance( 31_000 );
			await drain();
			expect( ( await rows() ).filter( ( r ) => r.booking_id === bookingId ) ).toEqual( [ expect.objectContaining( { platform: 'teams', status: 'scheduled' } ) ] );
			// One refused, one made.
			expect( apiCalls( 'POST', meetingsPath ).length ).toBe( creates + 2 );
			expect( createOrGets( bookingId ).map( ( r ) => r.status ) ).toEqual( [ 429, 201 ] );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it( 'gets a new token when Graph revokes the old one mid-run', async () => {
		await book( 'warmup@example.test', 9, 8 );
		const tokensBefore = tokenCalls().length;
		graph.revokeTokens();
		const bookingId = await book( 'revoked@example.test', 9, 10 );
		expect( await rowOf( bookingId ) ).toMatchObject( { platform: 'teams', status: 'scheduled' } );
		expect( tokenCalls().length ).toBe( tokensBefore + 1 );
	} );

	// What createOrGet does with a deleted meeting's externalId is not documented: each behaviour.
	it.each( [ 'returnsDeleted', 'conflict', 'reusable' ] as const )(
		'reconcile makes a new meeting (not the deleted one) when it was deleted on Graph; createOrGet with a deleted externalId: %s',
		async ( mode ) => {
			graph.setKnobs( { deletedExternalIds: mode } );
			try {
				const hour = { returnsDeleted: 10, conflict: 12, reusable: 14 }[ mode ];
				const bookingId = await book( `deleted-there-${ mode }@example.test`, 10, hour );
				const before = await rowOf( bookingId );
				graph.meetings.delete( graphId( before ) );
				await ctx.app.workers.reconcile();
				const after = await rowOf( bookingId );
				expect( after.meeting_id ).not.toBe( before.meeting_id );
				expect( after.join_url ).not.toBe( before.join_url );
				expect( after.meeting_id.startsWith( `${ PROVIDER.id }:` ) ).toBe( true );
				const live = graph.meetings.get( graphId( after ) );
				expect( live ).toBeDefined();
				expect( live!.lobbyBypassSettings ).toEqual( { scope: 'organizer', isDialInBypassEnabled: false } );
				expect( after.status ).toBe( 'scheduled' );
				// The deleted meeting's externalId is tried first; when Graph hands it back (or refuses)
				// the next generation makes the new one.
				const ids = createOrGets( bookingId ).map( ( r ) => bodyOf( r ).externalId );
				const statuses = createOrGets( bookingId ).map( ( r ) => r.status );
				if ( mode === 'reusable' ) {
					expect( ids ).toEqual( [ externalId( bookingId, 0 ), externalId( bookingId, 0 ) ] );
					expect( statuses ).toEqual( [ 201, 201 ] );
				} else {
					expect( ids ).toEqual( [ externalId( bookingId, 0 ), externalId( bookingId, 0 ), externalId( bookingId, 1 ) ] );
					expect( statuses ).toEqual( [ 201, mode === 'conflict' ? 409 : 200, 201 ] );
				}
				if ( mode === 'returnsDeleted' ) {
					// The stale meeting was recognised by its PATCH answering 404.
					expect( patchesOf( graphId( before ) ).map( ( r ) => r.status ) ).toEqual( [ 200, 404 ] );
				}
				// Reconcile again: the new meeting is live, nothing is made.
				const calls = createOrGets( bookingId ).length;
				await ctx.app.workers.reconcile();
				expect( createOrGets( bookingId ) ).toHaveLength( calls );
				expect( ( await rowOf( bookingId ) ).meeting_id ).toBe( after.meeting_id );
			} finally {
				graph.setKnobs( { deletedExternalIds: 'returnsDeleted' } );
			}
		}
	);

	it( 'a cancelled and reopened booking gets a new meeting, not the deleted one', async () => {
		const bookingId = await book( 'reopen@example.test', 10, 16 );
		const first = await rowOf( bookingId );
		await bx.setStatus( bookingId, 'bkx-cancelled' );
		await bx.event( bookingId, 'booking.status' );
		await drain();
		expect( graph.meetings.has( graphId( first ) ) ).toBe( false );
		await bx.setStatus( bookingId, 'bkx-ack' );
		await bx.event( bookingId, 'booking.status' );
		await drain();
		const again = await rowOf( bookingId );
		expect( again.status ).toBe( 'scheduled' );
		expect( graphId( again ) ).not.toBe( graphId( first ) );
		expect( graph.meetings.get( graphId( again ) )?.externalId ).toBe( externalId( bookingId, 1 ) );
	} );

	it( 'a lost create answer yields one meeting: the sync waits (no failover) and the retry gets the same meeting', async () => {
		graph.loseNextCreateResponse();
		const before = graph.meetings.size;
		const bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, ...slot( 11, 10 ), email: 'lost@example.test' } );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		expect( await rowOf( bookingId ) ).toBeUndefined();
		expect( graph.meetings.size ).toBe( before + 1 );
		const made = [ ...graph.meetings.values() ].find( ( m ) => m.externalId === externalId( bookingId, 0 ) );
		expect( made ).toBeDefined();
		expect( createOrGets( bookingId ).map( ( r ) => r.dropped ?? false ) ).toEqual( [ true ] );
		try {
			ctx.clock.advance( 3600_000 );
			await drain();
			const row = await rowOf( bookingId );
			expect( row ).toMatchObject( { platform: 'teams', status: 'scheduled' } );
			expect( graph.meetings.size ).toBe( before + 1 );
			expect( graphId( row ) ).toBe( made!.id );
			expect( row.join_url ).toBe( made!.joinWebUrl );
			// Same externalId, and Graph answered with the existing meeting (200), then the lobby PATCH.
			expect( createOrGets( bookingId ).map( ( r ) => [ bodyOf( r ).externalId, r.status ] ) ).toEqual( [
				[ externalId( bookingId, 0 ), undefined ],
				[ externalId( bookingId, 0 ), 200 ],
			] );
			expect( patchesOf( made!.id ).map( ( r ) => bodyOf( r ).lobbyBypassSettings ) ).toEqual( [ { scope: 'organizer', isDialInBypassEnabled: false } ] );
			expect( made!.lobbyBypassSettings ).toEqual( { scope: 'organizer', isDialInBypassEnabled: false } );
			expect( JSON.parse( row.metadata ).platform_failures ).toEqual( [] );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it( 'a lost PATCH answer after createOrGet is retried onto the same meeting', async () => {
		graph.failWith( { reset: true, match: { method: 'PATCH', path: /onlineMeetings\// } } );
		const before = graph.meetings.size;
		const bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, ...slot( 11, 12 ), email: 'lostpatch@example.test' } );
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		expect( await rowOf( bookingId ) ).toBeUndefined();
		try {
			ctx.clock.advance( 3600_000 );
			await drain();
			const row = await rowOf( bookingId );
			expect( row ).toMatchObject( { platform: 'teams', status: 'scheduled' } );
			expect( graph.meetings.size ).toBe( before + 1 );
			expect( createOrGets( bookingId ).map( ( r ) => r.status ) ).toEqual( [ 201, 200 ] );
			expect( patchesOf( graphId( row ) ).map( ( r ) => r.dropped ?? r.status ) ).toEqual( [ true, 200 ] );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it( 'duplicated events (and a duplicate after a lost answer) make one meeting', async () => {
		const bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, ...slot( 12, 10 ), email: 'dupe@example.test' } );
		const before = graph.meetings.size;
		graph.loseNextCreateResponse();
		await bx.event( bookingId, 'booking.saved' );
		await drain();
		expect( await rowOf( bookingId ) ).toBeUndefined();
		try {
			ctx.clock.advance( 3600_000 );
			// The same booking saved again (BookingX fires its hooks more than once) plus the retry.
			await bx.event( bookingId, 'booking.saved' );
			await bx.event( bookingId, 'booking.saved' );
			await drain();
			await drain();
			const mine = ( await rows() ).filter( ( r ) => r.booking_id === bookingId );
			expect( mine ).toEqual( [ expect.objectContaining( { platform: 'teams', status: 'scheduled' } ) ] );
			expect( graph.meetings.size ).toBe( before + 1 );
			expect( new Set( createOrGets( bookingId ).map( ( r ) => bodyOf( r ).externalId ) ) ).toEqual( new Set( [ externalId( bookingId, 0 ) ] ) );
			// Only the lost answer and one retry reached Graph; the other events found the consultation.
			expect( createOrGets( bookingId ) ).toHaveLength( 2 );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );
} );

/**
 * The setup wizard's checks (`POST /v1/platforms/:platform/check`) against the Zoom and Graph
 * fakes: the saved credentials are really used (a fresh token, one harmless read), a test meeting
 * is created and deleted on the platform, and every vendor refusal comes back as a plain-words
 * sentence with the fix, never as a secret.
 */
import { startGraphFake, startZoomFake, type GraphFake } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ADMIN, PREFIX, call, setup, type TestContext } from './helper';

type ZoomFake = Awaited< ReturnType< typeof startZoomFake > >;

let zoom: ZoomFake;
let graph: GraphFake;
let ctx: TestContext;

const ZOOM = { accountId: 'acct-wiz', clientId: 'client-wiz', clientSecret: 'zoom-wizard-secret-0123456789' };
const TEAMS = { tenantId: 'tenant-wiz', clientId: 'teams-client-wiz', clientSecret: 'teams-wizard-secret-0123456789' };
const PROVIDER = { id: '7d0c6a2e-3333-4333-a333-0000000000cc', upn: 'provider@example.test', displayName: 'Dr. Check' };
const EDITOR = { sub: 7, caps: [ 'edit_posts', 'bkx_video_manage' ], roles: [ 'editor' ], email: 'editor@example.test' };

const save = async ( values: Record< string, unknown > ) => {
	const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', values );
	expect( res.status, JSON.stringify( res.json ) ).toBe( 200 );
};
const check = ( platform: string, body: unknown, who: Record< string, unknown > = ADMIN ) =>
	call( ctx.app, who, 'POST', `/v1/platforms/${ platform }/check`, body );
const auditRows = () => ctx.db.knex( `${ PREFIX }bkx_video_audit_log` ).where( 'action', 'platform.check' ).orderBy( 'id' );
const zoomCalls = ( method: string, path: RegExp ) => zoom.requests.filter( ( r ) => r.method === method && path.test( r.path ) );

beforeAll( async () => {
	zoom = await startZoomFake( { ...ZOOM, users: [ 'host@example.test' ] } );
	graph = await startGraphFake( { ...TEAMS, users: [ PROVIDER ] } );
	ctx = await setup( {
		env: {
			BKX_VIDEO_ZOOM_API_URL: zoom.url,
			BKX_VIDEO_ZOOM_OAUTH_URL: zoom.oauthUrl,
			BKX_VIDEO_GRAPH_URL: graph.url,
			BKX_VIDEO_MS_LOGIN_URL: graph.loginBase,
			BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: '3',
		},
		clockStart: new Date().toISOString(),
	} );
	await save( {
		zoom_enabled: true,
		zoom_account_id: ZOOM.accountId,
		zoom_client_id: ZOOM.clientId,
		zoom_client_secret: ZOOM.clientSecret,
		zoom_user_id: 'host@example.test',
		teams_tenant_id: TEAMS.tenantId,
		teams_client_id: TEAMS.clientId,
		teams_client_secret: TEAMS.clientSecret,
	} );
} );
afterAll( async () => {
	await ctx?.close();
	await zoom?.close();
	await graph?.close();
} );
beforeEach( () => {
	zoom.reset();
	graph.setKnobs( { accessPolicyGranted: true } );
} );

describe( 'Zoom', () => {
	it( 'checks the connection with a fresh token and a read of the host user', async () => {
		const res = await check( 'zoom', { step: 'connection' } );
		expect( res.status ).toBe( 200 );
		expect( res.json ).toMatchObject( { step: 'connection', ok: true } );
		expect( res.json?.message ).toMatch( /Zoom accepted the account ID, client ID and client secret, and the host user host@example\.test/ );
		expect( zoomCalls( 'POST', /^\/oauth\/token$/ ) ).toHaveLength( 1 );
		expect( zoomCalls( 'GET', /^\/v2\/users\/host%40example\.test$|^\/v2\/users\/host@example\.test$/ ) ).toHaveLength( 1 );

		// A second check asks Zoom again: a cached token would hide a secret revoked since.
		await check( 'zoom', { step: 'connection' } );
		expect( zoomCalls( 'POST', /^\/oauth\/token$/ ) ).toHaveLength( 2 );
	} );

	it( 'creates a test meeting about a day ahead and deletes it again', async () => {
		const before = Date.now();
		const res = await check( 'zoom', { step: 'test_meeting' } );
		expect( res.status ).toBe( 200 );
		expect( res.json ).toMatchObject( { step: 'test_meeting', ok: true, details: { created: true, deleted: true } } );
		expect( res.json?.message ).toMatch( /created a test meeting for .* UTC and deleted it again/ );

		const [ create ] = zoomCalls( 'POST', /^\/v2\/users\/[^/]+\/meetings$/ );
		const body = JSON.parse( String( create?.body ) ) as { topic: string; start_time: string };
		expect( body.topic ).toBe( 'BookingX test meeting — safe to delete' );
		const ahead = Date.parse( body.start_time ) - before;
		expect( ahead ).toBeGreaterThan( 23 * 3600_000 );
		expect( ahead ).toBeLessThan( 26 * 3600_000 );
		expect( zoomCalls( 'DELETE', /^\/v2\/meetings\/\d+$/ ) ).toHaveLength( 1 );
		expect( zoom.meetings.size ).toBe( 0 );
		expect( [ ...zoom.deletedMeetings.values() ].map( ( m ) => m.topic ) ).toEqual( [ 'BookingX test meeting — safe to delete' ] );
	} );

	it( 'says the client secret is wrong, in plain words, without echoing it', async () => {
		await save( { zoom_client_secret: 'wrong-secret-typed-by-admin' } );
		try {
			const res = await check( 'zoom', { step: 'connection' } );
			expect( res.status ).toBe( 200 );
			expect( res.json ).toMatchObject( { ok: false, details: { failure: 'unauthorized' } } );
			expect( res.json?.message ).toMatch( /Zoom refused the client ID or client secret\. Copy them again from your Server-to-Server OAuth app/ );
			expect( JSON.stringify( res.json ) ).not.toContain( 'wrong-secret' );
			// The token was refused: no API call was made with it.
			expect( zoomCalls( 'GET', /^\/v2\// ) ).toHaveLength( 0 );
		} finally {
			await save( { zoom_client_secret: ZOOM.clientSecret } );
		}
	} );

	it( 'names the setting to fix when the host user is not on the account (404 + 1001)', async () => {
		await save( { zoom_user_id: 'nobody@example.test' } );
		try {
			const res = await check( 'zoom', { step: 'connection' } );
			expect( res.json ).toMatchObject( { ok: false, details: { failure: 'not_found' } } );
			expect( res.json?.message ).toMatch( /Zoom does not know the host user\. Set "Zoom host user"/ );
			expect( zoomCalls( 'GET', /^\/v2\/users\// )[ 0 ]?.status ).toBe( 404 );

			const meeting = await check( 'zoom', { step: 'test_meeting' } );
			expect( meeting.json ).toMatchObject( { ok: false, details: { created: false, deleted: false } } );
			expect( meeting.json?.message ).toMatch( /^Creating the test meeting failed\. Zoom does not know the host user/ );
		} finally {
			await save( { zoom_user_id: 'host@example.test' } );
		}
	} );

	it( 'reports an outage with what to do next', async () => {
		zoom.failWith( { status: 503, body: { code: 503, message: 'Service unavailable' }, match: { path: /^\/v2\/users\/[^/]+$/ } } );
		const res = await check( 'zoom', { step: 'connection' } );
		expect( res.json ).toMatchObject( { ok: false, details: { failure: 'unavailable' } } );
		expect( res.json?.fix ).toMatch( /Try again in a few minutes/ );
	} );

	it( 'says what is missing when Zoom is not set up', async () => {
		await save( { zoom_account_id: '' } );
		try {
			const res = await check( 'zoom', { step: 'connection' } );
			expect( res.json ).toMatchObject( { ok: false, details: { failure: 'not_configured' } } );
			expect( res.json?.message ).toBe( 'Zoom is missing its account ID.' );
			expect( res.json?.fix ).toMatch( /Fill in the missing Zoom fields/ );
			expect( zoom.requests ).toHaveLength( 0 );
		} finally {
			await save( { zoom_account_id: ZOOM.accountId } );
		}
	} );
} );

describe( 'Microsoft Teams', () => {
	const graphCalls = ( method: string, path: RegExp ) => graph.requests.filter( ( r ) => r.method === method && path.test( r.path ) );

	it( 'checks the token alone without an organizer, and the organizer when given', async () => {
		const tokenOnly = await check( 'teams', { step: 'connection' } );
		expect( tokenOnly.json ).toMatchObject( { ok: true } );
		expect( tokenOnly.json?.message ).toMatch( /accepted the tenant ID, client ID and client secret\. Enter a provider's Microsoft 365 e-mail/ );

		const before = graphCalls( 'GET', /^\/v1\.0\/users\// ).length;
		const withOrganizer = await check( 'teams', { step: 'connection', organizer_email: PROVIDER.upn } );
		expect( withOrganizer.json ).toMatchObject( { ok: true } );
		expect( withOrganizer.json?.message ).toMatch( /knows provider@example\.test in this tenant/ );
		expect( graphCalls( 'GET', /^\/v1\.0\/users\// ).length ).toBe( before + 1 );
	} );

	it( 'says an unknown organizer must be a Microsoft 365 sign-in name', async () => {
		const res = await check( 'teams', { step: 'connection', organizer_email: 'stranger@example.test' } );
		expect( res.json ).toMatchObject( { ok: false, details: { failure: 'rejected' } } );
		expect( res.json?.message ).toMatch( /Teams does not know the provider stranger@example\.test/ );
	} );

	it( 'creates and deletes a test meeting organized by the provider', async () => {
		const res = await check( 'teams', { step: 'test_meeting', organizer_email: PROVIDER.upn } );
		expect( res.json ).toMatchObject( { ok: true, details: { created: true, deleted: true } } );
		expect( graphCalls( 'POST', new RegExp( `^/v1\\.0/users/${ PROVIDER.id }/onlineMeetings$` ) ) ).toHaveLength( 1 );
		expect( graphCalls( 'DELETE', new RegExp( `^/v1\\.0/users/${ PROVIDER.id }/onlineMeetings/` ) ) ).toHaveLength( 1 );
	} );

	it( 'explains the missing application access policy with the PowerShell fix', async () => {
		graph.setKnobs( { accessPolicyGranted: false } );
		const res = await check( 'teams', { step: 'test_meeting', organizer_email: PROVIDER.upn } );
		expect( res.json ).toMatchObject( { ok: false, details: { failure: 'rejected', created: false } } );
		expect( res.json?.message ).toMatch( /Creating the test meeting failed\. Teams refused: the app is not allowed to create meetings for provider@example\.test/ );
		expect( res.json?.message ).toMatch( /Grant-CsApplicationAccessPolicy/ );
	} );

	it( 'asks for the test organizer before making a Teams meeting', async () => {
		const res = await check( 'teams', { step: 'test_meeting' } );
		expect( res.json ).toMatchObject( { ok: false, details: { failure: 'not_configured' } } );
		expect( res.json?.message ).toMatch( /enter the Microsoft 365 e-mail of one of your providers/ );
	} );

	it( 'says the client secret is wrong without echoing it', async () => {
		await save( { teams_client_secret: 'teams-wrong-secret-typed' } );
		try {
			const res = await check( 'teams', { step: 'connection' } );
			expect( res.json ).toMatchObject( { ok: false, details: { failure: 'unauthorized' } } );
			expect( res.json?.message ).toMatch( /Microsoft refused the Teams client secret/ );
			expect( JSON.stringify( res.json ) ).not.toContain( 'teams-wrong-secret' );
		} finally {
			await save( { teams_client_secret: TEAMS.clientSecret } );
		}
	} );
} );

describe( 'Jitsi and the others', () => {
	it( 'checks what it can for Jitsi and says what it cannot', async () => {
		await save( { jitsi_server_url: 'https://meet.example.test', jitsi_app_id: 'app', jitsi_app_secret: 'jitsi-wizard-secret-0123456789', jitsi_jwt_enabled: true } );
		const res = await check( 'jitsi', { step: 'connection' } );
		expect( res.json ).toMatchObject( { ok: true } );
		expect( res.json?.message ).toMatch( /complete .* Jitsi has no API to ask/ );
		expect( JSON.stringify( res.json ) ).not.toContain( 'jitsi-wizard-secret' );
		const meeting = await check( 'jitsi', { step: 'test_meeting' } );
		expect( meeting.json ).toMatchObject( { ok: true, details: { created: false, deleted: false } } );
		expect( meeting.json?.message ).toMatch( /no meeting API/ );
	} );

	it( 'checks the built-in room: its signaling address, and a TURN server without its secret', async () => {
		await save( { webrtc_turn_servers: [], webrtc_turn_secret: null } );
		const ready = await check( 'webrtc', { step: 'connection' } );
		expect( ready.json ).toMatchObject( { ok: true } );
		expect( ready.json?.message ).toMatch( /ready: rooms open at http:\/\/127\.0\.0\.1:9\/\?bkx_video_room=… and connect to ws:\/\/.*\/rooms\/…\/signal\. No TURN server/ );
		await save( { webrtc_turn_servers: [ 'turn:turn.example.test:3478' ] } );
		const noSecret = await check( 'webrtc', { step: 'connection' } );
		expect( noSecret.json ).toMatchObject( { ok: false } );
		expect( noSecret.json?.message ).toMatch( /TURN secret is empty/ );
		await save( { webrtc_turn_secret: 'turn-wizard-secret-0123456789' } );
		const withTurn = await check( 'webrtc', { step: 'connection' } );
		expect( withTurn.json ).toMatchObject( { ok: true } );
		expect( withTurn.json?.message ).toMatch( /1 TURN server\(s\) get credentials per participant/ );
		expect( JSON.stringify( withTurn.json ) ).not.toContain( 'turn-wizard-secret' );
	} );
} );

describe( 'access and input', () => {
	it( 'returns 403 forbidden to a non-admin and calls no platform', async () => {
		const before = ( await auditRows() ).length;
		const res = await check( 'zoom', { step: 'connection' }, EDITOR );
		expect( res.status ).toBe( 403 );
		expect( res.json?.code ).toBe( 'forbidden' );
		expect( zoom.requests ).toHaveLength( 0 );
		expect( await auditRows() ).toHaveLength( before );
	} );

	it.each( [
		[ 'unknown platform', 'skype', { step: 'connection' } ],
		[ 'unknown step', 'zoom', { step: 'everything' } ],
		[ 'no step', 'zoom', {} ],
		[ 'unknown key', 'zoom', { step: 'connection', client_secret: 'x' } ],
		[ 'bad organizer e-mail', 'teams', { step: 'connection', organizer_email: 'not-an-email' } ],
	] )( 'returns 400 invalid_request for %s and calls no platform', async ( _name, platform, body ) => {
		const before = ( await auditRows() ).length;
		const res = await check( platform, body );
		expect( res.status ).toBe( 400 );
		expect( res.json?.code ).toBe( 'invalid_request' );
		expect( Object.keys( ( res.json?.data as { details?: object } ).details ?? {} ).length ).toBeGreaterThan( 0 );
		expect( zoom.requests ).toHaveLength( 0 );
		expect( await auditRows() ).toHaveLength( before );
	} );

	it( 'audit-logs each check with facts only', async () => {
		await check( 'teams', { step: 'connection', organizer_email: PROVIDER.upn } );
		const last = ( await auditRows() ).at( -1 );
		expect( last ).toMatchObject( { action: 'platform.check', actor_id: ADMIN.sub, subject_type: 'platform' } );
		expect( JSON.parse( last.details ) ).toEqual( { platform: 'teams', step: 'connection', ok: true, failure: null } );
		const all = JSON.stringify( await auditRows() );
		expect( all ).not.toContain( 'secret' );
		expect( all ).not.toContain( '@' );
	} );
} );

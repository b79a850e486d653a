/**
 * The plugin's REST routes, through real WordPress authentication (cookie + nonce), forwarding to
 * the sidecar with a signed identity; and what users get when the sidecar is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { siteLocal, startStack, type Stack } from '../src/stack';

let stack: Stack;
beforeAll( async () => {
	stack = await startStack();
} );
afterAll( async () => stack?.stop() );

const settingsRows = async () =>
	stack.site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_results( "SELECT setting_key, setting_value, updated_at FROM {$wpdb->prefix}bkx_video_settings ORDER BY setting_key" ) );` );

describe( 'plugin REST proxy', () => {
	it( 'lets the admin read settings with secrets masked', async () => {
		const res = await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } );
		expect( res.status ).toBe( 200 );
		expect( res.json.settings.jitsi_enabled ).toBe( true );
		expect( res.json.secrets.jitsi_app_secret ).toMatchObject( { is_set: true } );
		expect( res.text ).not.toContain( 'jitsi-e2e-secret' );
	} );

	it( 'refuses settings to a customer (403), a provider (403) and a guest (401)', async () => {
		expect( ( await stack.site.rest( '/bookingx/v1/video/settings', { as: 'customer' } ) ).status ).toBe( 403 );
		expect( ( await stack.site.rest( '/bookingx/v1/video/settings', { as: 'provider' } ) ).status ).toBe( 403 );
		const put = await stack.site.rest( '/bookingx/v1/video/settings', { method: 'PUT', body: { enable_chat: false }, as: 'customer' } );
		expect( put.status ).toBe( 403 );
		expect( ( await stack.site.rest( '/bookingx/v1/video/settings', { as: 'guest' } ) ).status ).toBe( 401 );
	} );

	it( 'answers bad settings with 400 and per-field details, writing nothing', async () => {
		const before = await settingsRows();
		const res = await stack.site.rest( '/bookingx/v1/video/settings', {
			method: 'PUT',
			as: 'admin',
			body: { password_length: 3, reminder_method: 'pigeon', webrtc_stun_servers: [ 'http://x' ], enable_chat: false },
		} );
		expect( res.status ).toBe( 400 );
		expect( res.json.code ).toBe( 'invalid_request' );
		expect( Object.keys( res.json.data.details ).sort() ).toEqual( [ 'password_length', 'reminder_method', 'webrtc_stun_servers.0' ] );
		expect( await settingsRows() ).toEqual( before );
	} );

	it( "refuses another customer's consultation and a guest without a token", async () => {
		const { site } = stack;
		await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( new Date( Date.now() + 48 * 3600_000 ), 'Europe/Berlin' ),
			customer: { first_name: 'Someone', last_name: 'Else', email: 'someone-else@example.test', phone: '1' },
		} );
		await stack.settle();
		const id = Number( await site.php( `global $wpdb; echo (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}bkx_video_consultations" );` ) );
		expect( id ).toBeGreaterThan( 0 );
		const asCustomer = await site.rest( `/bookingx/v1/video/consultations/${ id }`, { as: 'customer' } );
		expect( asCustomer.status ).toBe( 403 );
		expect( asCustomer.json ).toMatchObject( { code: 'forbidden', message: "You don't have access to this consultation." } );
		expect( ( await site.rest( `/bookingx/v1/video/consultations/${ id }/join`, { method: 'POST', as: 'customer' } ) ).status ).toBe( 403 );
		expect( ( await site.rest( `/bookingx/v1/video/consultations/${ id }`, { as: 'guest' } ) ).status ).toBe( 401 );
		const asProvider = await site.rest( `/bookingx/v1/video/consultations/${ id }`, { as: 'provider' } );
		expect( asProvider.status ).toBe( 200 );
		expect( asProvider.json.viewer_role ).toBe( 'host' );
	} );

	it( 'answers 503 sidecar_unavailable with a clear message when the sidecar is stopped, and recovers', async () => {
		await stack.sidecar.stop();
		const res = await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } );
		expect( res.status ).toBe( 503 );
		expect( res.json ).toMatchObject( { code: 'sidecar_unavailable', data: { status: 503 } } );
		expect( res.json.message ).toMatch( /not reachable/ );
		const guest = await stack.site.rest( '/bookingx/v1/video/consultations/current', { as: 'guest', query: { bkx_vc: 'A'.repeat( 43 ) } } );
		expect( guest.status ).toBe( 503 );
		await stack.sidecar.start();
		expect( ( await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } ) ).status ).toBe( 200 );
	} );

	it( 'shows the sidecar status to the admin', async () => {
		const res = await stack.site.rest( '/bookingx/v1/video/status', { as: 'admin' } );
		expect( res.status ).toBe( 200 );
		expect( res.json ).toMatchObject( { migrations: { pending: [] } } );
		expect( res.json.version ).toMatch( /^\d+\.\d+\.\d+/ );
	} );
} );

describe( 'plugin requirements', () => {
	it( 'gives providers and managers their capabilities on activation', async () => {
		const caps = JSON.parse(
			await stack.site.php(
				`echo wp_json_encode( array( 'provider' => user_can( ${ stack.site.users.provider.id }, 'bkx_video_conduct' ), 'manager' => user_can( ${ stack.site.users.manager.id }, 'bkx_video_manage' ), 'customer' => user_can( ${ stack.site.users.customer.id }, 'bkx_video_conduct' ), 'admin' => user_can( ${ stack.site.users.admin.id }, 'bkx_video_manage' ) ) );`
			)
		) as Record< string, boolean >;
		expect( caps ).toEqual( { provider: true, manager: true, customer: false, admin: true } );
	} );

	it( 'shows an admin notice instead of a fatal error when BookingX is missing', async () => {
		const { site } = stack;
		await site.php( `require_once ABSPATH . 'wp-admin/includes/plugin.php'; deactivate_plugins( 'bookingx-standin/bookingx-standin.php' );` );
		const res = await site.request( '/wp-admin/index.php', { as: 'admin' } );
		expect( res.status ).toBe( 200 );
		expect( res.text ).toContain( 'BookingX Video Consultation needs the BookingX plugin' );
		expect( site.debugLog() ).not.toMatch( /PHP Fatal error/ );
		// The front end still works and the join page still renders its block.
		const page = await site.request( '/video-consultation/' );
		expect( page.status ).toBe( 200 );
		expect( page.text ).toContain( 'wp-block-bookingx-video-join-button' );
	} );
} );

describe( 'mail relay', () => {
	const sign = async ( body: string, overrides: Record< string, unknown > = {} ) => {
		const { SignJWT } = await import( 'jose' );
		const { createHash, randomBytes } = await import( 'node:crypto' );
		const now = Math.floor( Date.now() / 1000 );
		return new SignJWT( { body_sha256: createHash( 'sha256' ).update( body ).digest( 'hex' ), ...overrides } )
			.setProtectedHeader( { alg: 'HS256', typ: 'JWT' } )
			.setIssuer( 'bkx-video-sidecar' )
			.setAudience( 'wordpress' )
			.setIssuedAt( now )
			.setExpirationTime( now + 30 )
			.setJti( randomBytes( 16 ).toString( 'hex' ) )
			.sign( new TextEncoder().encode( stack.secret ) );
	};
	const post = ( body: string, signature: string ) =>
		fetch( `${ stack.site.url }/?rest_route=/bookingx/v1/video/internal/mail`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-bkx-signature': signature }, body } );

	it( 'sends a signed message once per idempotency key and refuses forged or replayed ones', async () => {
		stack.site.clearMails();
		const body = JSON.stringify( { to: [ 'relay@example.test' ], subject: 'Relay test', html: '<p>Hi</p>', text: 'Hi', idempotency_key: 'relay-test-1' } );
		const first = await post( body, await sign( body ) );
		expect( await first.json() ).toEqual( { sent: true, duplicate: false } );
		const again = await post( body, await sign( body ) );
		expect( await again.json() ).toEqual( { sent: true, duplicate: true } );
		expect( stack.site.mails().filter( ( m ) => m.subject === 'Relay test' ) ).toHaveLength( 1 );

		const signature = await sign( body.replace( 'relay-test-1', 'relay-test-2' ) );
		expect( ( await post( body, signature ) ).status ).toBe( 401 ); // body does not match its hash
		const fresh = body.replace( 'relay-test-1', 'relay-test-3' );
		const once = await sign( fresh );
		expect( ( await post( fresh, once ) ).status ).toBe( 200 );
		expect( ( await post( fresh.replace( 'relay-test-3', 'relay-test-3' ), once ) ).status ).toBe( 401 ); // replayed jti
		expect( ( await post( '{"to":[]}', await sign( '{"to":[]}' ) ) ).status ).toBe( 400 );
	} );
} );

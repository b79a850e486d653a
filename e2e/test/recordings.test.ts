/**
 * Recordings through WordPress: a Zoom consultation's signed `recording.completed` arrives through
 * the plugin's webhook route, the sidecar's jobs download, process and encrypt it, and then:
 * the booking's customer (logged in to WordPress, cookie + nonce) lists it through
 * `/wp-json/bookingx/v1/video/recordings`, gets a signed link and plays it straight from the
 * sidecar's public URL with HTTP Range (206, the right bytes); another customer gets 403; a guest
 * with the invitation link's token sees it; WordPress's personal data exporter lists it, and the
 * eraser (Tools → Erase Personal Data, through admin-ajax like the admin screen) removes it, after
 * which the link answers 404. With the sidecar stopped, the eraser says the data was retained.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { signZoomWebhook, zoomRecordingEvent, type ZoomWebhookEnvelope } from '@bkx-video/platform-fakes';
import type { Session } from '@bkx-video/wp-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ZOOM_E2E_SETTINGS, freePort, invitationLink, siteLocal, startStack, type Stack } from '../src/stack';

const TZ = 'Europe/Berlin';
const WEBHOOK_SECRET = 'e2e-zoom-webhook-secret-rec-0123';
const ERASER = 'bookingx-video-consultation-recordings';

let stack: Stack;
let fixtures: string;
let dataDir: string;
let publicUrl: string;
let mp4: Buffer;

beforeAll( async () => {
	fixtures = mkdtempSync( join( tmpdir(), 'bkx-e2e-rec-' ) );
	dataDir = join( fixtures, 'data' );
	// A small H.264/AAC file, as Zoom's cloud recording would be.
	execFileSync( 'ffmpeg', [ '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', join( fixtures, 'meeting.mp4' ) ] );
	mp4 = readFileSync( join( fixtures, 'meeting.mp4' ) );
	const port = await freePort();
	publicUrl = `http://127.0.0.1:${ port }`;
	stack = await startStack( {
		timezone: TZ,
		zoom: true,
		sidecarPort: port,
		// Recordings live outside the repository, and links point where browsers reach the sidecar.
		sidecarEnv: { BKX_VIDEO_DATA_DIR: dataDir, BKX_VIDEO_SIDECAR_PUBLIC_URL: `${ publicUrl }/` },
	} );
	await stack.saveSettings( { ...ZOOM_E2E_SETTINGS, zoom_webhook_secret: WEBHOOK_SECRET } );
} );
afterAll( async () => {
	await stack?.stop();
	if ( fixtures ) {
		rmSync( fixtures, { recursive: true, force: true } );
	}
} );

/** Posts to WordPress's public webhook route exactly as Zoom does. */
async function deliver( envelope: ZoomWebhookEnvelope ): Promise< number > {
	const { body, headers } = signZoomWebhook( WEBHOOK_SECRET, envelope );
	const res = await fetch( `${ stack.site.url }/?rest_route=/bookingx/v1/video/zoom/webhook`, { method: 'POST', headers, body } );
	await res.arrayBuffer();
	return res.status;
}

async function query< T >( sql: string ): Promise< T > {
	return JSON.parse( await stack.site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_results( "${ sql.replace( /"/g, '\\"' ) }", ARRAY_A ) );` ) ) as T;
}

/** Logs a WordPress user in through wp-login.php (cookie + REST nonce), like a browser. */
async function login( user: string, password: string, userId: number ): Promise< Session > {
	const test = 'wordpress_test_cookie=WP%20Cookie%20check';
	const res = await fetch( `${ stack.site.url }/wp-login.php`, {
		method: 'POST',
		redirect: 'manual',
		headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: test },
		body: new URLSearchParams( { log: user, pwd: password, testcookie: '1', 'wp-submit': 'Log In', redirect_to: `${ stack.site.url }/wp-admin/` } ),
	} );
	await res.arrayBuffer();
	const cookies = res.headers
		.getSetCookie()
		.map( ( c ) => c.split( ';' )[ 0 ]! )
		.filter( ( c ) => c.startsWith( 'wordpress_' ) && ! c.startsWith( 'wordpress_test_cookie' ) && ! c.endsWith( '=deleted' ) );
	expect( res.status ).toBe( 302 );
	const cookieHeader = [ test, ...cookies ].join( '; ' );
	const nonce = await ( await fetch( `${ stack.site.url }/wp-admin/admin-ajax.php?action=rest-nonce`, { headers: { cookie: cookieHeader } } ) ).text();
	expect( nonce ).toMatch( /^[0-9a-f]{10}$/ );
	return { role: null, userId, cookieHeader, cookies: [], nonce };
}

/** Runs a privacy tool the way Tools → Erase Personal Data does: a request post, its nonce, admin-ajax. */
async function eraseThroughAdmin( email: string ) {
	const { site } = stack;
	const found = JSON.parse(
		await site.php( `
			// One open request per address and action: close the previous run's first.
			foreach ( get_posts( array( 'post_type' => 'user_request', 'post_status' => 'any', 'numberposts' => -1, 'fields' => 'ids' ) ) as $old ) {
				wp_delete_post( $old, true );
			}
			$request_id = wp_create_user_request( '${ email }', 'remove_personal_data', array(), 'confirmed' );
			$keys = array_keys( apply_filters( 'wp_privacy_personal_data_erasers', array() ) );
			echo wp_json_encode( array( 'id' => $request_id, 'index' => array_search( '${ ERASER }', $keys, true ) + 1 ) );
		` )
	) as { id: number; index: number };
	expect( found.id ).toBeGreaterThan( 0 );
	expect( found.index ).toBeGreaterThan( 0 );
	const security = await site.nonce( `wp-privacy-erase-personal-data-${ found.id }`, 'admin' );
	const res = await site.request( '/wp-admin/admin-ajax.php', {
		as: 'admin',
		method: 'POST',
		form: { action: 'wp-privacy-erase-personal-data', id: found.id, eraser: found.index, page: 1, security },
	} );
	expect( res.status ).toBe( 200 );
	return JSON.parse( res.text ) as { success: boolean; data: { items_removed: boolean; items_retained: boolean; messages: string[]; done: boolean } };
}

describe( 'Recordings through WordPress', () => {
	let consultationId: number;
	let recordingId: number;
	let whole: Buffer;
	let customer: Session;
	let guestToken: string;
	let videoUrl: string;

	it( 'takes a signed recording.completed through the plugin webhook route to a playable recording', async () => {
		const { site } = stack;
		customer = await site.login( 'customer' );
		const start = new Date( Math.ceil( Date.now() / 3_600_000 ) * 3_600_000 + 2 * 3_600_000 );
		const bookingId = await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( start, TZ ),
			customer: { first_name: 'Casey', last_name: 'Customer', email: site.users.customer.email, phone: '+491234500' },
			as: customer,
		} );
		await stack.settle();
		const [ row ] = await query< Array< { id: string; meeting_id: string } > >( `SELECT id, meeting_id FROM wp_bkx_video_consultations WHERE booking_id = ${ bookingId }` );
		expect( row?.meeting_id ).toBeTruthy();
		consultationId = Number( row!.id );
		guestToken = new URL( invitationLink( site, site.users.customer.email ) ).searchParams.get( 'bkx_vc' )!;

		const recording = stack.zoom!.addRecording( row!.meeting_id, [ { fileType: 'MP4', data: mp4 } ] );
		expect( await deliver( zoomRecordingEvent( recording, 'recording.completed' ) ) ).toBe( 200 );
		// Download and ffmpeg run as jobs after the 200.
		await expect
			.poll( async () => ( await query< Array< { status: string } > >( `SELECT status FROM wp_bkx_video_recordings WHERE consultation_id = ${ consultationId }` ) ).map( ( r ) => r.status ), { timeout: 90_000, interval: 250 } )
			.toEqual( [ 'available' ] );
		const [ stored ] = await query< Array< { id: string } > >( `SELECT id FROM wp_bkx_video_recordings WHERE consultation_id = ${ consultationId }` );
		recordingId = Number( stored!.id );
		// Stored encrypted in BKX_VIDEO_DATA_DIR, nowhere else.
		expect( readdirSync( join( dataDir, 'recordings' ) ) ).toHaveLength( 1 );
	}, 150_000 );

	it( 'lets the logged-in customer list the recording and play it from the sidecar with Range (206, the right bytes)', async () => {
		const { site } = stack;
		const list = await site.rest( '/bookingx/v1/video/recordings', { as: customer } );
		expect( list.status ).toBe( 200 );
		expect( list.json.recordings ).toHaveLength( 1 );
		expect( list.json.recordings[ 0 ] ).toMatchObject( { id: recordingId, consultation_id: consultationId, status: 'available', can_download: true, can_manage: false, duration_seconds: 2 } );
		const one = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }`, { as: customer } );
		expect( one.status ).toBe( 200 );
		expect( one.json.id ).toBe( recordingId );

		const link = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }/link`, { as: customer, method: 'POST', body: { kind: 'video' } } );
		expect( link.status ).toBe( 200 );
		videoUrl = link.json.url as string;
		// The bytes come from the sidecar's public URL, never through PHP.
		expect( videoUrl.startsWith( `${ publicUrl }/media/recordings/${ recordingId }/video?` ) ).toBe( true );
		expect( Date.parse( link.json.expires_at ) ).toBeGreaterThan( Date.now() );

		const full = await fetch( videoUrl );
		expect( full.status ).toBe( 200 );
		expect( full.headers.get( 'content-type' ) ).toBe( 'video/mp4' );
		whole = Buffer.from( await full.arrayBuffer() );
		expect( whole.subarray( 4, 8 ).toString() ).toBe( 'ftyp' );

		const part = await fetch( videoUrl, { headers: { Range: 'bytes=0-99' } } );
		expect( part.status ).toBe( 206 );
		expect( part.headers.get( 'content-range' ) ).toBe( `bytes 0-99/${ whole.length }` );
		expect( part.headers.get( 'accept-ranges' ) ).toBe( 'bytes' );
		const bytes = Buffer.from( await part.arrayBuffer() );
		expect( bytes.length ).toBe( 100 );
		expect( Buffer.compare( bytes, whole.subarray( 0, 100 ) ) ).toBe( 0 );

		// A customer may watch, not manage.
		const share = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }`, { as: customer, method: 'PUT', body: { shared_with_customer: false } } );
		expect( share.status ).toBe( 403 );
		const remove = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }`, { as: customer, method: 'DELETE' } );
		expect( remove.status ).toBe( 403 );
		// Nor ask for someone else's export.
		const exportAttempt = await site.rest( '/bookingx/v1/video/recordings', { as: customer, query: { customer_email: 'someone@example.test' } } );
		expect( exportAttempt.status ).toBe( 403 );
	} );

	it( 'lets the host share it, answers 403 to another logged-in customer and 401 to a guest without a token', async () => {
		const { site } = stack;
		const host = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }`, { as: 'provider', method: 'PUT', body: { shared_with_customer: true } } );
		expect( host.status ).toBe( 200 );
		expect( host.json ).toMatchObject( { id: recordingId, shared_with_customer: true, can_manage: true } );

		const password = 'other-customer-pass-0123';
		const otherId = Number(
			await site.php( `echo wp_insert_user( array( 'user_login' => 'othercustomer', 'user_pass' => '${ password }', 'user_email' => 'other@example.test', 'role' => 'subscriber' ) );` )
		);
		expect( otherId ).toBeGreaterThan( 0 );
		const other = await login( 'othercustomer', password, otherId );
		const get = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }`, { as: other } );
		expect( get.status ).toBe( 403 );
		expect( get.json ).toMatchObject( { code: 'forbidden', data: { status: 403 } } );
		const link = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }/link`, { as: other, method: 'POST', body: {} } );
		expect( link.status ).toBe( 403 );
		const list = await site.rest( '/bookingx/v1/video/recordings', { as: other } );
		expect( list.status ).toBe( 200 );
		expect( list.json.recordings ).toEqual( [] );

		const anonymous = await site.rest( '/bookingx/v1/video/recordings', { as: 'guest' } );
		expect( anonymous.status ).toBe( 401 );
	} );

	it( 'shows the recording to a guest holding the invitation link’s token', async () => {
		const { site } = stack;
		const list = await site.rest( '/bookingx/v1/video/recordings', { as: 'guest', query: { bkx_vc: guestToken } } );
		expect( list.status ).toBe( 200 );
		expect( list.json.recordings.map( ( r: { id: number } ) => r.id ) ).toEqual( [ recordingId ] );
		const link = await site.rest( `/bookingx/v1/video/recordings/${ recordingId }/link`, { as: 'guest', method: 'POST', query: { bkx_vc: guestToken }, body: { kind: 'poster' } } );
		expect( link.status ).toBe( 200 );
		const poster = await fetch( link.json.url as string );
		expect( poster.status ).toBe( 200 );
		expect( poster.headers.get( 'content-type' ) ).toBe( 'image/jpeg' );
		expect( Buffer.from( await poster.arrayBuffer() ).subarray( 0, 2 ).toString( 'hex' ) ).toBe( 'ffd8' );
		const forged = await site.rest( '/bookingx/v1/video/recordings', { as: 'guest', query: { bkx_vc: 'A'.repeat( 43 ) } } );
		expect( forged.status ).toBeGreaterThanOrEqual( 401 );
		expect( forged.status ).toBeLessThanOrEqual( 403 );
	} );

	it( 'exports the customer’s recordings through WordPress’s personal data exporter', async () => {
		const { site } = stack;
		const exported = JSON.parse(
			await site.php( `
				wp_set_current_user( ${ site.users.admin.id } );
				$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
				echo wp_json_encode( call_user_func( $exporters['${ ERASER }']['callback'], '${ site.users.customer.email }', 1 ) );
			` )
		) as { data: Array< { group_id: string; item_id: string; data: Array< { name: string; value: string } > } >; done: boolean };
		expect( exported.done ).toBe( true );
		expect( exported.data.map( ( i ) => i.item_id ) ).toEqual( [ `bkx-video-recordings-${ recordingId }` ] );
		const fields = Object.fromEntries( exported.data[ 0 ]!.data.map( ( f ) => [ f.name, f.value ] ) );
		expect( fields ).toMatchObject( { Recording: String( recordingId ), Status: 'Available', 'Duration (seconds)': '2', 'Shared with customer': 'Yes' } );
	} );

	it( 'reports the recordings as retained, without a fatal, when the sidecar is down during an erasure', async () => {
		await stack.sidecar.stop();
		try {
			const res = await eraseThroughAdmin( stack.site.users.customer.email );
			expect( res.success ).toBe( true );
			expect( res.data ).toMatchObject( { items_removed: false, items_retained: true, done: true } );
			expect( res.data.messages.join( ' ' ) ).toContain( 'not reachable' );
			// The exporter says so too, as the WP_Error the privacy screen shows.
			const exported = await stack.site.php( `
				$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
				$result = call_user_func( $exporters['${ ERASER }']['callback'], '${ stack.site.users.customer.email }', 1 );
				echo is_wp_error( $result ) ? $result->get_error_code() . ': ' . $result->get_error_message() : 'not an error';
			` );
			expect( exported ).toMatch( /^sidecar_unavailable: .*not reachable/ );
		} finally {
			await stack.sidecar.start();
		}
		expect( await query< unknown[] >( `SELECT id FROM wp_bkx_video_recordings WHERE id = ${ recordingId }` ) ).toHaveLength( 1 );
	}, 90_000 );

	it( 'erases the recording through Tools → Erase Personal Data, after which its link answers 404', async () => {
		const res = await eraseThroughAdmin( stack.site.users.customer.email );
		expect( res.success ).toBe( true );
		expect( res.data ).toEqual( { items_removed: true, items_retained: false, messages: [ '1 video consultation recording was deleted.' ], done: true } );

		expect( await query< unknown[] >( `SELECT id FROM wp_bkx_video_recordings WHERE id = ${ recordingId }` ) ).toEqual( [] );
		expect( readdirSync( join( dataDir, 'recordings' ) ) ).toEqual( [] );
		// Logged as a deletion request, by the system (PHP's privacy tool), not by a user.
		expect( await query< Array< { action: string; actor_id: string } > >( `SELECT action, actor_id FROM wp_bkx_video_audit_log WHERE subject_type = 'recording' AND subject_id = ${ recordingId }` ) ).toEqual( [
			{ action: 'recording.erased', actor_id: '0' },
		] );
		const gone = await fetch( videoUrl, { headers: { Range: 'bytes=0-99' } } );
		expect( gone.status ).toBe( 404 );
		const list = await stack.site.rest( '/bookingx/v1/video/recordings', { as: customer } );
		expect( list.json.recordings ).toEqual( [] );
		// Nothing left to erase: nothing claimed.
		const again = await eraseThroughAdmin( stack.site.users.customer.email );
		expect( again.data ).toEqual( { items_removed: false, items_retained: false, messages: [], done: true } );
		// No notice or warning from the plugin along the way (BookingX prints them into responses).
		const log = stack.site.debugLog().split( '\n' );
		expect( log.filter( ( l ) => /PHP (Fatal error|Warning|Notice|Deprecated).*(bookingx-video-consultation|\/plugin\/src\/)/.test( l ) ) ).toEqual( [] );
		// The failed erasure was logged for the admin, without the customer's address.
		const failures = log.filter( ( l ) => l.includes( 'privacy request' ) );
		expect( failures.some( ( l ) => l.includes( 'privacy request /v1/recordings/erase failed' ) ) ).toBe( true );
		expect( failures.filter( ( l ) => l.includes( '@' ) ) ).toEqual( [] );
	} );
} );

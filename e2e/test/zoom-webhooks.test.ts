/**
 * Zoom webhooks through the real WordPress route (`/wp-json/bookingx/v1/video/zoom/webhook`, public,
 * php -S), which forwards the raw bytes and Zoom's signature headers to the sidecar: the URL
 * validation answer comes back byte for byte, a forged delivery is refused with 401, and signed
 * meeting events move the booking's consultation (in progress, then completed with its participants).
 * A consultation nobody joined becomes a no-show, and WordPress fires `bkx_video_consultation_no_show`
 * once for add-ons (a fixture mu-plugin records it).
 */
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { signZoomWebhook, zoomMeetingEvent, zoomUrlValidationEvent, type ZoomWebhookEnvelope, type ZoomWebhookSignOptions } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ZOOM_E2E_SETTINGS, siteLocal, startStack, type Stack } from '../src/stack';

const TZ = 'Europe/Berlin';
const WEBHOOK_SECRET = 'e2e-zoom-webhook-secret-0123';

let stack: Stack;
beforeAll( async () => {
	stack = await startStack( { timezone: TZ, zoom: true, muPlugins: [ fileURLToPath( new URL( '../fixtures/bkx-record-session-events.php', import.meta.url ) ) ] } );
	await stack.saveSettings( {
		...ZOOM_E2E_SETTINGS,
		zoom_webhook_secret: WEBHOOK_SECRET,
		require_authentication: false,
	} );
} );
afterAll( async () => {
	await stack?.stop();
} );

/** Posts to WordPress's public webhook route exactly as Zoom does. */
async function deliver( envelope: ZoomWebhookEnvelope, opts: ZoomWebhookSignOptions = {} ) {
	const { body, headers } = signZoomWebhook( WEBHOOK_SECRET, envelope, opts );
	const res = await fetch( `${ stack.site.url }/?rest_route=/bookingx/v1/video/zoom/webhook`, { method: 'POST', headers, body } );
	return { status: res.status, type: res.headers.get( 'content-type' ) ?? '', text: await res.text() };
}

async function consultationOf( bookingId: number ): Promise< Record< string, string > > {
	return JSON.parse(
		await stack.site.php(
			`global $wpdb; echo wp_json_encode( $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$wpdb->prefix}bkx_video_consultations WHERE booking_id = %d", ${ bookingId } ), ARRAY_A ) );`
		)
	) as Record< string, string >;
}

/** Polls until the consultation matches (webhook work runs as a job, after the 200). */
async function eventually( bookingId: number, want: Record< string, string > ): Promise< Record< string, string > > {
	let row: Record< string, string > = {};
	for ( let i = 0; i < 100; i++ ) {
		row = await consultationOf( bookingId );
		if ( Object.entries( want ).every( ( [ k, v ] ) => String( row[ k ] ) === v ) ) {
			return row;
		}
		await new Promise( ( resolve ) => setTimeout( resolve, 100 ) );
	}
	return row;
}

describe( 'Zoom webhooks through WordPress', () => {
	it( 'answers the URL validation with Zoom’s JSON, untouched by WordPress', async () => {
		const res = await deliver( zoomUrlValidationEvent( 'e2e-plain-token' ) );
		expect( res.status ).toBe( 200 );
		expect( res.type ).toContain( 'application/json' );
		expect( JSON.parse( res.text ) ).toEqual( { plainToken: 'e2e-plain-token', encryptedToken: createHmac( 'sha256', WEBHOOK_SECRET ).update( 'e2e-plain-token' ).digest( 'hex' ) } );
	} );

	it( 'refuses a forged delivery, and applies signed meeting events to the booking’s consultation', async () => {
		const zoom = stack.zoom!;
		const start = new Date( Math.ceil( Date.now() / 60000 ) * 60000 + 60 * 60000 );
		const bookingId = await stack.site.bookings.create( {
			serviceId: stack.site.fixtures.videoServiceId,
			seatId: stack.site.fixtures.seatId,
			start: siteLocal( start, TZ ),
			customer: { first_name: 'Wendy', last_name: 'Webhook', email: 'wendy@example.test', phone: '+491234567' },
			as: 'guest',
		} );
		const row = await eventually( bookingId, { status: 'scheduled' } );
		const meeting = zoom.meetings.get( row.meeting_id! )!;
		expect( meeting ).toBeDefined();

		const started = zoomMeetingEvent( meeting, 'meeting.started', { at: start } );
		const forged = await deliver( started, { signature: 'wrong' } );
		expect( forged.status ).toBe( 401 );
		expect( JSON.parse( forged.text ) ).toMatchObject( { code: 'webhook_signature_invalid' } );
		await new Promise( ( resolve ) => setTimeout( resolve, 300 ) );
		expect( ( await consultationOf( bookingId ) ).status ).toBe( 'scheduled' );

		expect( ( await deliver( started ) ).status ).toBe( 200 );
		await eventually( bookingId, { status: 'in_progress' } );
		const customer = { user_name: 'Wendy Webhook', email: 'wendy@example.test', participant_uuid: 'wendy-uuid' };
		for ( const e of [
			zoomMeetingEvent( meeting, 'meeting.participant_joined', { at: start, participant: { user_name: 'Dr. Provider', id: meeting.host_id, participant_uuid: 'host-uuid' } } ),
			zoomMeetingEvent( meeting, 'meeting.participant_joined', { at: new Date( start.getTime() + 60_000 ), participant: customer } ),
			zoomMeetingEvent( meeting, 'meeting.ended', { at: new Date( start.getTime() + 20 * 60_000 ) } ),
		] ) {
			expect( ( await deliver( e ) ).status ).toBe( 200 );
		}
		const done = await eventually( bookingId, { status: 'completed', participant_count: '2' } );
		expect( { status: done.status, participants: Number( done.participant_count ) } ).toEqual( { status: 'completed', participants: 2 } );
		const people = JSON.parse( await stack.site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_results( "SELECT role, duration_seconds FROM {$wpdb->prefix}bkx_video_participants WHERE consultation_id = ${ Number( done.id ) } ORDER BY id", ARRAY_A ) );` ) ) as Array< { role: string; duration_seconds: string } >;
		expect( people.map( ( p ) => [ p.role, Number( p.duration_seconds ) ] ) ).toEqual( [
			[ 'host', 20 * 60 ],
			[ 'participant', 19 * 60 ],
		] );
	} );

	it( 'calls a consultation nobody joined a no-show and fires bkx_video_consultation_no_show once', async () => {
		await stack.saveSettings( { no_show_after_minutes: 1 } );
		// It began two minutes ago and nobody is in it (attendance comes from Zoom's webhooks).
		const start = new Date( Math.floor( Date.now() / 60000 ) * 60000 - 2 * 60000 );
		const bookingId = await stack.site.bookings.create( {
			serviceId: stack.site.fixtures.videoServiceId,
			seatId: stack.site.fixtures.seatId,
			start: siteLocal( start, TZ ),
			customer: { first_name: 'Nora', last_name: 'Noshow', email: 'nora@example.test', phone: '+491234568' },
			as: 'guest',
		} );
		const row = await eventually( bookingId, { status: 'no_show' } );
		expect( row.status ).toBe( 'no_show' );
		await stack.settle();
		const fired = async () =>
			( JSON.parse( await stack.site.php( `echo wp_json_encode( get_option( 'bkx_e2e_session_events', array() ) );` ) ) as Array< Record< string, any > > ).filter( ( e ) => e.booking_id === bookingId );
		await expect.poll( async () => ( await fired() ).length ).toBe( 1 );
		expect( ( await fired() )[ 0 ] ).toMatchObject( {
			action: 'bkx_video_consultation_no_show',
			consultation_id: Number( row.id ),
			context: { absent: 'both', refund: true, scheduled_start: start.toISOString().replace( '.000Z', '+00:00' ) },
		} );
		// A forged push fires nothing.
		const forged = await stack.site.rest( '/bookingx/v1/video/internal/event', { method: 'POST', body: { event: 'no_show', bookingId, consultationId: Number( row.id ), absent: 'both', idempotency_key: 'forged-1' }, headers: { 'X-BKX-Signature': 'forged' } } );
		expect( forged.status ).toBe( 401 );
		expect( await fired() ).toHaveLength( 1 );
	} );
} );

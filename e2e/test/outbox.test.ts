/**
 * Bookings changed while the sidecar is down are not lost: after it starts, every consultation
 * matches its booking exactly once. Each BookingX quirk is driven through the stand-in's real
 * entry points (reference/bookingx.md §8).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { siteLocal, startStack, type Stack } from '../src/stack';

const TZ = 'Europe/Berlin';
let stack: Stack;
beforeAll( async () => {
	stack = await startStack( { timezone: TZ } );
} );
afterAll( async () => stack?.stop() );

interface Row {
	booking_id: number;
	status: string;
	scheduled_start: string;
	scheduled_end: string;
	n: number;
}

async function consultations(): Promise< Map< number, Row > > {
	const rows = JSON.parse(
		await stack.site.php(
			`global $wpdb; echo wp_json_encode( $wpdb->get_results( "SELECT booking_id, status, scheduled_start, scheduled_end, (SELECT COUNT(*) FROM {$wpdb->prefix}bkx_video_consultations c2 WHERE c2.booking_id = c.booking_id) AS n FROM {$wpdb->prefix}bkx_video_consultations c" ) );`
		)
	) as Array< Record< string, string > >;
	return new Map( rows.map( ( r ) => [ Number( r.booking_id ), { booking_id: Number( r.booking_id ), status: r.status!, scheduled_start: r.scheduled_start!, scheduled_end: r.scheduled_end!, n: Number( r.n ) } ] ) );
}

/** What the booking says now, with its start/end converted from site time to UTC by WordPress. */
async function bookingTruth( id: number ): Promise< { status: string | null; start: string; end: string; video: boolean } > {
	return JSON.parse(
		await stack.site.php(
			`clean_post_cache( ${ id } ); $p = get_post( ${ id } ); if ( ! $p ) { echo wp_json_encode( array( 'status' => null, 'start' => '', 'end' => '', 'video' => false ) ); return; }
			$s = get_post_meta( ${ id }, 'booking_start_date', true ); $e = get_post_meta( ${ id }, 'booking_end_date', true );
			$utc = function ( $v ) { $d = new DateTime( $v, wp_timezone() ); $d->setTimezone( new DateTimeZone( 'UTC' ) ); return $d->format( 'Y-m-d H:i:s' ); };
			echo wp_json_encode( array( 'status' => $p->post_status, 'start' => $utc( $s ), 'end' => $utc( $e ), 'video' => '1' === get_post_meta( (int) get_post_meta( ${ id }, 'base_id', true ), '_bkx_video_enabled', true ) ) );`
		)
	) as { status: string | null; start: string; end: string; video: boolean };
}

const CLOSED = [ 'bkx-cancelled', 'bkx-missed', 'bkx-failed', 'trash', null ];

describe( 'outbox and reconcile', () => {
	it( 'applies 20 bookings created, rescheduled or cancelled while the sidecar was stopped, each exactly once', async () => {
		const { site } = stack;
		await stack.sidecar.stop();
		const base = Date.now() + 3 * 24 * 3600_000;
		const ids: number[] = [];
		for ( let i = 0; i < 20; i++ ) {
			ids.push(
				await site.bookings.create( {
					serviceId: i % 5 === 4 ? site.fixtures.ordinaryServiceId : site.fixtures.videoServiceId,
					seatId: site.fixtures.seatId,
					start: siteLocal( new Date( base + i * 3600_000 ), TZ ),
					customer: { first_name: `C${ i }`, last_name: 'Outbox', email: `c${ i }@example.test`, phone: '1' },
					as: i === 0 ? 'customer' : 'guest',
				} )
			);
		}
		// Reschedules (BookingX fires save_post with the OLD date first, then writes the new one).
		await site.bookings.reschedule( ids[ 1 ]!, { start: siteLocal( new Date( base + 100 * 3600_000 ), TZ ) } );
		await site.bookings.reschedule( ids[ 2 ]!, { start: siteLocal( new Date( base + 101 * 3600_000 ), TZ ) } );
		// Status changes through the list dropdown (bkx_order_edit_status fired twice).
		await site.bookings.setStatus( ids[ 3 ]!, 'cancelled' );
		await site.bookings.setStatus( ids[ 5 ]!, 'ack' );
		await site.bookings.setStatus( ids[ 6 ]!, 'missed' );
		// Missed, then rescheduled: BookingX silently reopens it as pending.
		await site.bookings.setStatus( ids[ 7 ]!, 'missed' );
		await site.bookings.reschedule( ids[ 7 ]!, { start: siteLocal( new Date( base + 102 * 3600_000 ), TZ ) } );
		// Bulk status (no bkx_order_edit_status at all).
		await site.bookings.bulkStatus( [ ids[ 8 ]!, ids[ 10 ]! ], 'cancelled' );
		await site.bookings.bulkStatus( [ ids[ 11 ]! ], 'completed' );
		// The customer cancels from their dashboard.
		expect( await site.bookings.cancelAsCustomer( ids[ 0 ]! ) ).toBe( true );
		// Trash, trash + untrash, permanent delete.
		await site.bookings.trash( ids[ 12 ]! );
		await site.bookings.trash( ids[ 13 ]! );
		await site.bookings.untrash( ids[ 13 ]! );
		await site.bookings.delete( ids[ 15 ]! );
		// Staff reassignment changes only meta (no action at all).
		await site.bookings.reassignSeat( ids[ 16 ]!, site.fixtures.seatId );

		const pending = Number( await site.php( `global $wpdb; echo (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}bkx_video_events WHERE processed_at IS NULL" );` ) );
		expect( pending ).toBeGreaterThanOrEqual( 20 );

		await stack.sidecar.start();
		await stack.settle( 30_000 );
		const rows = await consultations();
		for ( const id of ids ) {
			const truth = await bookingTruth( id );
			const row = rows.get( id );
			if ( ( ! truth.video && truth.status !== null ) || truth.status === 'bkx-completed' ) {
				expect( row, `booking ${ id } is not a video booking` ).toBeUndefined();
				continue;
			}
			if ( CLOSED.includes( truth.status ) ) {
				// Closed before the sidecar ever saw it: no meeting, no invitation, nothing to cancel.
				expect( row?.status ?? 'none', `booking ${ id } (${ truth.status })` ).toMatch( /^(none|cancelled)$/ );
			} else {
				expect( row, `booking ${ id } (${ truth.status })` ).toBeDefined();
				expect( row!.n ).toBe( 1 );
				expect( row!.status, `booking ${ id } (${ truth.status })` ).toBe( 'scheduled' );
				expect( row!.scheduled_start ).toBe( truth.start );
				expect( row!.scheduled_end ).toBe( truth.end );
			}
		}
		// Spot checks of the quirks: closed ones got no meeting, reopened/restored ones did.
		// Closed (or completed) before the sidecar ever saw them: no meeting, no invitation.
		for ( const closed of [ 0, 3, 6, 8, 10, 11, 12, 15 ] ) {
			expect( rows.get( ids[ closed ]! ), `index ${ closed }` ).toBeUndefined();
		}
		for ( const open of [ 1, 2, 5, 7, 13, 16 ] ) {
			expect( rows.get( ids[ open ]! )?.status, `index ${ open }` ).toBe( 'scheduled' );
		}
		// A closed booking sent no invitation.
		expect( site.mails().some( ( m ) => JSON.stringify( m.to ).includes( 'c3@example.test' ) && /bkx_vc=/.test( m.message ) ) ).toBe( false );
		expect( site.mails().some( ( m ) => JSON.stringify( m.to ).includes( 'c1@example.test' ) && /bkx_vc=/.test( m.message ) ) ).toBe( true );
		expect( ( await bookingTruth( ids[ 1 ]! ) ).start ).toBe( rows.get( ids[ 1 ]! )?.scheduled_start );

		// Re-delivering every event changes nothing (idempotent).
		await site.php( `global $wpdb; $wpdb->query( "UPDATE {$wpdb->prefix}bkx_video_events SET processed_at = NULL, claimed_until = NULL" );` );
		await stack.settle( 30_000 );
		const again = await consultations();
		expect( [ ...again.values() ].map( ( r ) => [ r.booking_id, r.status, r.scheduled_start, r.n ] ) ).toEqual(
			[ ...rows.values() ].map( ( r ) => [ r.booking_id, r.status, r.scheduled_start, r.n ] )
		);
	} );

	it( 'follows live changes once the sidecar runs: a double status hook and a trash', async () => {
		const { site } = stack;
		const id = await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( new Date( Date.now() + 5 * 24 * 3600_000 ), TZ ),
			customer: { first_name: 'Live', last_name: 'Change', email: 'live@example.test', phone: '1' },
		} );
		await stack.settle();
		expect( ( await consultations() ).get( id )?.status ).toBe( 'scheduled' );
		await site.bookings.setStatus( id, 'cancelled' );
		await stack.settle();
		expect( ( await consultations() ).get( id )?.status ).toBe( 'cancelled' );
		await site.bookings.setStatus( id, 'pending' );
		await stack.settle();
		expect( ( await consultations() ).get( id )?.status ).toBe( 'scheduled' );
		await site.bookings.trash( id );
		await stack.settle();
		expect( ( await consultations() ).get( id )?.status ).toBe( 'cancelled' );
	} );
} );

describe( 'before the sidecar ever ran', () => {
	it( 'PHP carries on without the outbox table, and the first reconcile catches up', async () => {
		const fresh = await startStack( { timezone: TZ, startSidecar: false } );
		try {
			const { site } = fresh;
			const id = await site.bookings.create( {
				serviceId: site.fixtures.videoServiceId,
				seatId: site.fixtures.seatId,
				start: siteLocal( new Date( Date.now() + 4 * 24 * 3600_000 ), TZ ),
				customer: { first_name: 'Early', last_name: 'Bird', email: 'early@example.test', phone: '1' },
			} );
			expect( id ).toBeGreaterThan( 0 );
			expect( site.debugLog() ).not.toMatch( /PHP Fatal/ );
			// Configure Jitsi (the sidecar creates its tables on start), then restart it: start-up reconcile.
			await fresh.sidecar.start();
			await fresh.saveSettings( { zoom_enabled: false, jitsi_enabled: true, default_platform: 'jitsi', jitsi_server_url: fresh.jitsi.url, jitsi_app_id: 'x', jitsi_app_secret: 'y-secret-value' } );
			await fresh.sidecar.stop();
			await fresh.sidecar.start();
			const deadline = Date.now() + 20_000;
			let status = '';
			while ( Date.now() < deadline && status !== 'scheduled' ) {
				status = await site.php( `global $wpdb; echo (string) $wpdb->get_var( $wpdb->prepare( "SELECT status FROM {$wpdb->prefix}bkx_video_consultations WHERE booking_id = %d", ${ id } ) );` );
				await new Promise( ( r ) => setTimeout( r, 250 ) );
			}
			expect( status ).toBe( 'scheduled' );
		} finally {
			await fresh.stop();
		}
	} );
} );

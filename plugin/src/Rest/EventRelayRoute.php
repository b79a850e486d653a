<?php
/**
 * Session events relayed by the sidecar, for add-ons.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * `POST video/internal/event`: the sidecar tells WordPress what happened in a consultation, and
 * WordPress fires an action for add-ons (payments, CRM). Authenticated like the mail relay
 * (X-BKX-Signature); each event fires once, however often the sidecar retries it.
 *
 * Actions:
 * - `bkx_video_consultation_no_show( int $booking_id, int $consultation_id, array $context )`,
 *   `no_show_after_minutes` after the start when the customer or the provider has not joined.
 *   `$context`: `absent` ('customer', 'host' or 'both'), `refund` (true when the provider was
 *   absent and the "Refund when the host does not show up" setting is on: a payment add-on
 *   should refund), `scheduled_start` (ISO 8601, UTC).
 */
class EventRelayRoute extends MailRelayRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'internal-event';

	/** Events the sidecar sends, and the action each fires. */
	const ACTIONS = array(
		'no_show' => 'bkx_video_consultation_no_show',
	);

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		return $this->internal_route( '/video/internal/event' );
	}

	/**
	 * Verifies, validates and fires the action once.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function handle( WP_REST_Request $request ) {
		return $this->handle_signed( $request, 'event relay', array( $this, 'fire_once' ) );
	}

	/**
	 * Fires a verified event's action once per idempotency key.
	 *
	 * @param string $raw Raw JSON body.
	 * @return WP_REST_Response|WP_Error
	 */
	public function fire_once( string $raw ) {
		$event = $this->validate_event( $raw );
		if ( is_wp_error( $event ) ) {
			return $event;
		}
		$key = self::SENT_PREFIX . md5( 'event:' . $event['idempotency_key'] );
		if ( ! $this->claim( $key ) ) {
			return new WP_REST_Response(
				array(
					'fired'     => false,
					'duplicate' => true,
				),
				200
			);
		}
		/**
		 * A consultation's customer or provider did not come (see the class comment).
		 *
		 * @param int   $booking_id      The BookingX booking (post ID).
		 * @param int   $consultation_id Our consultation.
		 * @param array $context         absent, refund, scheduled_start.
		 */
		do_action( self::ACTIONS[ $event['event'] ], $event['booking_id'], $event['consultation_id'], $event['context'] );
		update_option( $key, 'sent:' . time(), false );
		return new WP_REST_Response(
			array(
				'fired'     => true,
				'duplicate' => false,
			),
			200
		);
	}

	/**
	 * Parses `{ event, bookingId, consultationId, absent, refund, scheduledStart, idempotency_key }`.
	 *
	 * @param string $raw Raw JSON body.
	 * @return array|WP_Error
	 */
	private function validate_event( string $raw ) {
		$data    = json_decode( $raw, true );
		$invalid = new WP_Error(
			'invalid_request',
			__( 'Some details are missing or invalid.', 'bookingx-video-consultation' ),
			array( 'status' => 400 )
		);
		if ( ! is_array( $data ) || ! isset( $data['event'], $data['bookingId'], $data['consultationId'], $data['idempotency_key'] )
			|| ! is_string( $data['event'] ) || ! isset( self::ACTIONS[ $data['event'] ] )
			|| ! is_int( $data['bookingId'] ) || ! is_int( $data['consultationId'] )
			|| ! is_string( $data['idempotency_key'] ) || '' === $data['idempotency_key'] || strlen( $data['idempotency_key'] ) > 200 ) {
			return $invalid;
		}
		$absent = isset( $data['absent'] ) ? $data['absent'] : '';
		if ( ! in_array( $absent, array( 'customer', 'host', 'both' ), true ) ) {
			return $invalid;
		}
		$start = isset( $data['scheduledStart'] ) && is_string( $data['scheduledStart'] ) ? strtotime( $data['scheduledStart'] ) : false;
		return array(
			'event'           => $data['event'],
			'booking_id'      => $data['bookingId'],
			'consultation_id' => $data['consultationId'],
			'idempotency_key' => $data['idempotency_key'],
			'context'         => array(
				'absent'          => $absent,
				'refund'          => ! empty( $data['refund'] ),
				'scheduled_start' => false === $start ? '' : gmdate( 'c', $start ),
			),
		);
	}
}

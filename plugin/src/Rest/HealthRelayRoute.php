<?php
/**
 * Integration health relay for the sidecar.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * `POST video/internal/health`: the sidecar tells WordPress which video platforms refuse their
 * credentials, so every wp-admin page can show the notice without calling the sidecar. Each push
 * carries the whole current state and replaces the stored one; an empty list clears the notice.
 * Authenticated like the mail relay (X-BKX-Signature).
 */
class HealthRelayRoute extends MailRelayRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'internal-health';

	/** Option holding the failing platforms (read by Admin\Notices). */
	const OPTION = 'bkx_video_platform_health';

	/** Platforms the sidecar knows. */
	const PLATFORMS = array( 'zoom', 'teams', 'meet', 'jitsi', 'webrtc' );

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		return $this->internal_route( '/video/internal/health' );
	}

	/**
	 * Verifies, validates and stores the state.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function handle( WP_REST_Request $request ) {
		return $this->handle_signed(
			$request,
			'health relay',
			function ( string $raw ) {
				$platforms = $this->validate_state( $raw );
				if ( is_wp_error( $platforms ) ) {
					return $platforms;
				}
				update_option( self::OPTION, $platforms, true );
				return new WP_REST_Response(
					array(
						'stored' => true,
						'count'  => count( $platforms ),
					),
					200
				);
			}
		);
	}

	/**
	 * Parses `{ platforms: [ { platform, label, message, since, affected_count } ] }`.
	 *
	 * @param string $raw Raw JSON body.
	 * @return array<int, array<string, mixed>>|WP_Error
	 */
	private function validate_state( string $raw ) {
		$data = json_decode( $raw, true );
		if ( ! is_array( $data ) || ! isset( $data['platforms'] ) || ! is_array( $data['platforms'] ) || count( $data['platforms'] ) > count( self::PLATFORMS ) ) {
			return new WP_Error(
				'invalid_request',
				__( 'Some details are missing or invalid.', 'bookingx-video-consultation' ),
				array( 'status' => 400 )
			);
		}
		$out = array();
		foreach ( $data['platforms'] as $item ) {
			if ( ! is_array( $item ) || ! isset( $item['platform'], $item['message'], $item['since'] )
				|| ! in_array( $item['platform'], self::PLATFORMS, true ) || ! is_string( $item['message'] ) || false === strtotime( (string) $item['since'] ) ) {
				return new WP_Error(
					'invalid_request',
					__( 'Some details are missing or invalid.', 'bookingx-video-consultation' ),
					array( 'status' => 400 )
				);
			}
			$out[] = array(
				'platform'       => $item['platform'],
				'label'          => isset( $item['label'] ) && is_string( $item['label'] ) ? sanitize_text_field( substr( $item['label'], 0, 100 ) ) : $item['platform'],
				'message'        => sanitize_textarea_field( substr( $item['message'], 0, 2000 ) ),
				'since'          => gmdate( 'c', (int) strtotime( (string) $item['since'] ) ),
				'affected_count' => isset( $item['affected_count'] ) ? max( 0, (int) $item['affected_count'] ) : 0,
			);
		}
		return $out;
	}
}

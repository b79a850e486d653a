<?php
/**
 * Session notes resource.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_Error;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `video/consultations/<id>/notes` (GET, PUT), forwarded to the sidecar's
 * `/v1/consultations/<id>/notes`.
 *
 * The provider's session notes, autosaved from the room's Notes panel. Logged-in users only (a
 * guest link never makes anyone a provider); the sidecar decides whether the user is the
 * consultation's host or an admin, refuses a save based on an outdated version (409 `conflict`)
 * and a text over its limit (413).
 */
class NotesRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'notes';

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		$permission = array( $this, 'logged_in_permission' );
		$id_arg     = $this->id_arg( __( 'Consultation id.', 'bookingx-video-consultation' ) );

		return array(
			self::PATH_PREFIX . '/consultations/(?P<id>\d+)/notes' => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => $id_arg,
				),
				array(
					'methods'             => 'PUT',
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge(
						$id_arg,
						array(
							'notes'        => array(
								'description' => __( 'The notes text.', 'bookingx-video-consultation' ),
								'type'        => 'string',
							),
							'base_version' => array(
								'description' => __( 'The version the text was based on (0 for the first save).', 'bookingx-video-consultation' ),
								'type'        => 'integer',
							),
						)
					),
				),
			),
		);
	}

	/**
	 * Permission: any logged-in user (whether they are the consultation's host is the sidecar's call).
	 *
	 * @return true|WP_Error
	 */
	public function logged_in_permission() {
		if ( is_user_logged_in() ) {
			return true;
		}
		return new WP_Error(
			'unauthenticated',
			__( 'Please log in to see your session notes.', 'bookingx-video-consultation' ),
			array( 'status' => 401 )
		);
	}
}

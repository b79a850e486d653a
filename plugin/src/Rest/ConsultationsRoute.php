<?php
/**
 * Consultations resource.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `video/consultations/current`, `video/consultations/<id>` and `video/consultations/<id>/join`,
 * forwarded to the sidecar's `/v1/consultations/...`.
 *
 * Open to logged-in users and to guests carrying `?bkx_vc=<access token>`; the sidecar decides
 * whether that user or token may see the consultation.
 */
class ConsultationsRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'consultations';

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		$permission = array( $this, 'user_or_token_permission' );
		$token_arg  = $this->token_arg();
		$id_arg     = $this->id_arg( __( 'Consultation id.', 'bookingx-video-consultation' ) );

		return array(
			self::PATH_PREFIX . '/consultations/current'             => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => $token_arg,
				),
			),
			self::PATH_PREFIX . '/consultations/(?P<id>\d+)'         => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge( $id_arg, $token_arg ),
				),
			),
			self::PATH_PREFIX . '/consultations/(?P<id>\d+)/calendar' => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge( $id_arg, $token_arg ),
				),
			),
			self::PATH_PREFIX . '/consultations/(?P<id>\d+)/join'    => array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge( $id_arg, $token_arg ),
				),
			),
		);
	}
}

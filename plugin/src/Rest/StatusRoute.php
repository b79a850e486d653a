<?php
/**
 * Status resource.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `GET video/status`, forwarded to the sidecar's `/v1/status`. Administrators only.
 */
class StatusRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'status';

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		return array(
			self::PATH_PREFIX . '/status' => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => array( $this, 'manage_options_permission' ),
				),
			),
		);
	}
}

<?php
/**
 * Settings resource.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `GET/PUT video/settings`, forwarded to the sidecar's `/v1/settings`. Administrators only.
 */
class SettingsRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'settings';

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		return array(
			self::PATH_PREFIX . '/settings' => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => array( $this, 'manage_options_permission' ),
				),
				array(
					'methods'             => 'PUT',
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => array( $this, 'manage_options_permission' ),
				),
			),
		);
	}

	/**
	 * Forwards, then forgets what the booking form cached about the settings (platform choice).
	 *
	 * @param \WP_REST_Request $request Incoming request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function proxy( \WP_REST_Request $request ) {
		$result = parent::proxy( $request );
		if ( 'PUT' === strtoupper( $request->get_method() ) ) {
			delete_transient( \BookingX\Addons\VideoConsultation\Bookingx\PlatformChoiceField::CACHE );
		}
		return $result;
	}
}

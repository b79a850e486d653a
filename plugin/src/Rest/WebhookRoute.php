<?php
/**
 * Platform webhooks.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `POST video/zoom/webhook` and `POST video/teams/webhook`, forwarded to the sidecar's
 * `/webhooks/zoom` and `/webhooks/teams` with the raw body bytes and the platform's signature
 * headers, without an identity. The answer is passed back byte for byte: Zoom's URL validation
 * expects its JSON, Microsoft Graph's subscription validation expects the token as text/plain.
 */
class WebhookRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'webhooks';

	/** Platforms that call us, mapped to the sidecar path. */
	const PLATFORMS = array(
		'zoom'  => '/webhooks/zoom',
		'teams' => '/webhooks/teams',
	);

	/** Incoming headers the platforms sign or the sidecar needs (REST header names use `_`). */
	const FORWARDED_HEADERS = array(
		'x_zm_signature'         => 'X-Zm-Signature',
		'x_zm_request_timestamp' => 'X-Zm-Request-Timestamp',
	);

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		$routes = array();
		foreach ( array_keys( self::PLATFORMS ) as $platform ) {
			$routes[ self::PATH_PREFIX . '/' . $platform . '/webhook' ] = array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'handle' ),
					// Public on purpose: the sidecar verifies the platform's signature over the raw body.
					'permission_callback' => '__return_true',
				),
			);
		}
		return $routes;
	}

	/**
	 * Forwards one webhook call.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function handle( WP_REST_Request $request ) {
		$route    = $request->get_route();
		$platform = '';
		foreach ( array_keys( self::PLATFORMS ) as $candidate ) {
			if ( substr( $route, -strlen( '/' . $candidate . '/webhook' ) ) === '/' . $candidate . '/webhook' ) {
				$platform = $candidate;
			}
		}
		if ( '' === $platform ) {
			return new WP_Error( 'rest_no_route', __( 'No route was found matching the URL and request method.', 'bookingx-video-consultation' ), array( 'status' => 404 ) );
		}

		$headers = array();
		foreach ( self::FORWARDED_HEADERS as $key => $name ) {
			$value = $request->get_header( $key );
			if ( null !== $value && '' !== $value ) {
				$headers[ $name ] = $value;
			}
		}

		return $this->forward(
			$request,
			self::PLATFORMS[ $platform ] . $this->query_suffix( $request ),
			array(
				'identity' => false,
				'headers'  => $headers,
				'raw'      => true,
			)
		);
	}
}

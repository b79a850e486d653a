<?php
/**
 * HTTP client for the sidecar.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Sidecar;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Thin wrapper over wp_remote_request(): base URL and timeout come from the configuration.
 */
class Client {

	/**
	 * Connection settings.
	 *
	 * @var Config
	 */
	private $config;

	/**
	 * Constructor.
	 *
	 * @param Config $config Connection settings.
	 */
	public function __construct( Config $config ) {
		$this->config = $config;
	}

	/**
	 * Sends one request to the sidecar.
	 *
	 * @param string $method  HTTP method.
	 * @param string $path    Path with query string, starting with '/'.
	 * @param array  $headers Request headers.
	 * @param string $body    Raw body ('' for none).
	 * @param array  $options Extra wp_remote_request() arguments (timeout, blocking, user-agent).
	 * @return array|WP_Error The wp_remote_request() response, or a transport error.
	 */
	public function send( string $method, string $path, array $headers = array(), string $body = '', array $options = array() ) {
		if ( ! $this->config->is_configured() ) {
			return new WP_Error( 'sidecar_not_configured', 'BKX_VIDEO_SIDECAR_URL or BKX_VIDEO_SIDECAR_SECRET is not set.' );
		}

		$args = array_merge(
			array(
				'method'      => strtoupper( $method ),
				'headers'     => $headers,
				'timeout'     => $this->config->timeout(),
				'redirection' => 0,
				'sslverify'   => true,
			),
			$options
		);
		if ( '' !== $body ) {
			$args['body'] = $body;
		}

		return wp_remote_request( $this->config->url() . $path, $args );
	}

	/**
	 * Whether the sidecar URL and secret are configured.
	 *
	 * @return bool
	 */
	public function is_configured(): bool {
		return $this->config->is_configured();
	}
}

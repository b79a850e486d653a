<?php
/**
 * A REST response served byte for byte.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * Carries an upstream body that must reach the client unchanged (webhook answers: Teams expects
 * its validation token back as text/plain, Zoom its URL validation JSON as sent).
 */
class RawResponse extends WP_REST_Response {

	/**
	 * The exact bytes to send.
	 *
	 * @var string
	 */
	private $raw_body;

	/**
	 * Constructor.
	 *
	 * @param string $raw_body     Bytes to send.
	 * @param int    $status       HTTP status.
	 * @param string $content_type Content-Type to send.
	 */
	public function __construct( string $raw_body, int $status, string $content_type ) {
		parent::__construct( $raw_body, $status, array( 'Content-Type' => $content_type ) );
		$this->raw_body = $raw_body;
	}

	/**
	 * The exact bytes to send.
	 *
	 * @return string
	 */
	public function get_raw_body(): string {
		return $this->raw_body;
	}

	/**
	 * Echoes a RawResponse instead of letting the REST server JSON-encode it.
	 *
	 * Hooked on `rest_pre_serve_request`; status and headers were already sent by the server.
	 *
	 * @param bool  $served Whether the request was already served.
	 * @param mixed $result The response about to be served.
	 * @return bool
	 */
	public static function serve( $served, $result ): bool {
		if ( $served || ! $result instanceof self ) {
			return (bool) $served;
		}
		echo $result->get_raw_body(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- upstream bytes passed through on purpose, served with the upstream Content-Type.
		return true;
	}
}

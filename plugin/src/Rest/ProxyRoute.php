<?php
/**
 * Base class of the routes that forward to the sidecar.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use BookingX\Addons\VideoConsultation\Sidecar\Client;
use BookingX\Addons\VideoConsultation\Sidecar\IdentitySigner;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * Forwards a REST request to the sidecar: same method, query string and raw body, plus a signed
 * identity. The sidecar's answer (status, JSON, Retry-After) is passed through unchanged; a
 * transport failure or a non-JSON answer becomes 503 `sidecar_unavailable`.
 */
abstract class ProxyRoute implements Route {

	/** WordPress path prefix of the proxied routes; the sidecar path is `/v1` + the rest. */
	const PATH_PREFIX = '/video';

	/**
	 * Query parameters that belong to WordPress, not to the sidecar. `_wpnonce` must never leave
	 * WordPress; `_method` was already applied to the request method.
	 */
	const WP_QUERY_PARAMS = array( 'rest_route', '_locale', '_wpnonce', '_method', '_envelope', '_jsonp' );

	/** Upstream headers copied onto the WordPress response. */
	const PASSTHROUGH_HEADERS = array( 'Retry-After', 'X-Request-Id' );

	/**
	 * Sidecar client.
	 *
	 * @var Client
	 */
	protected $client;

	/**
	 * Identity signer.
	 *
	 * @var IdentitySigner
	 */
	protected $signer;

	/**
	 * Constructor.
	 *
	 * @param Client         $client Sidecar client.
	 * @param IdentitySigner $signer Identity signer.
	 */
	public function __construct( Client $client, IdentitySigner $signer ) {
		$this->client = $client;
		$this->signer = $signer;
	}

	/**
	 * Generic handler: forwards `/bookingx/v1/video/<rest>` to sidecar `/v1/<rest>`.
	 *
	 * @param WP_REST_Request $request Incoming request (already authorised by its permission callback).
	 * @return WP_REST_Response|WP_Error
	 */
	public function proxy( WP_REST_Request $request ) {
		return $this->forward( $request, $this->sidecar_path( $request, '/v1' ) );
	}

	/**
	 * Forwards a request and converts the answer.
	 *
	 * BookingX forces display_errors=1, so any notice printed while we work would end up in front
	 * of the JSON. Everything printed inside this call is buffered and dropped.
	 *
	 * @param WP_REST_Request $request      Incoming request.
	 * @param string          $sidecar_path Sidecar path with query string.
	 * @param array           $options      `identity` (bool, default true), `headers` (extra headers),
	 *                                      `raw` (bool: pass the body through byte for byte).
	 * @return WP_REST_Response|WP_Error
	 */
	protected function forward( WP_REST_Request $request, string $sidecar_path, array $options = array() ) {
		$level = ob_get_level();
		ob_start();
		try {
			return $this->forward_unguarded( $request, $sidecar_path, $options );
		} finally {
			while ( ob_get_level() > $level ) {
				ob_end_clean();
			}
		}
	}

	/**
	 * Does the work of forward().
	 *
	 * @param WP_REST_Request $request      Incoming request.
	 * @param string          $sidecar_path Sidecar path with query string.
	 * @param array           $options      See forward().
	 * @return WP_REST_Response|WP_Error
	 */
	private function forward_unguarded( WP_REST_Request $request, string $sidecar_path, array $options ) {
		$options = wp_parse_args(
			$options,
			array(
				'identity' => true,
				'headers'  => array(),
				'raw'      => false,
			)
		);
		$method  = strtoupper( $request->get_method() );
		$body    = (string) $request->get_body();
		$headers = array(
			'Accept'       => $options['raw'] ? '*/*' : 'application/json',
			'X-Request-Id' => $this->request_id( $request ),
		);
		if ( '' !== $body ) {
			$content_type            = (string) $request->get_header( 'content_type' );
			$headers['Content-Type'] = '' !== $content_type ? $content_type : 'application/json';
		} elseif ( 'POST' === $method ) {
			// cURL adds `application/x-www-form-urlencoded` to every POST, and the sidecar (Fastify)
			// answers 415 to a body-less request that claims a type. A blank header removes cURL's.
			$headers['Content-Type'] = '';
		}
		$remote_addr = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
		if ( rest_is_ip_address( $remote_addr ) ) {
			$headers['X-Forwarded-For'] = $remote_addr;
		}
		$headers = array_merge( $headers, $options['headers'] );
		if ( $options['identity'] ) {
			// The user is known here: the permission callback ran after cookie + nonce authentication.
			$headers['X-BKX-Identity'] = $this->signer->sign_user( wp_get_current_user(), $method, $sidecar_path, $body );
		}

		$args       = array();
		$user_agent = substr( sanitize_text_field( (string) $request->get_header( 'user_agent' ) ), 0, 512 );
		if ( '' !== $user_agent ) {
			$args['user-agent'] = $user_agent;
		}

		$response = $this->client->send( $method, $sidecar_path, $headers, $body, $args );
		if ( is_wp_error( $response ) ) {
			return $this->unavailable( $sidecar_path, $response->get_error_message() );
		}

		$status = (int) wp_remote_retrieve_response_code( $response );
		if ( $status < 100 || $status > 599 ) {
			return $this->unavailable( $sidecar_path, 'no HTTP status' );
		}
		$raw_body = (string) wp_remote_retrieve_body( $response );

		if ( $options['raw'] ) {
			$result = new RawResponse( $raw_body, $status, $this->safe_content_type( (string) wp_remote_retrieve_header( $response, 'content-type' ) ) );
		} else {
			$data = null;
			if ( '' !== $raw_body || 204 !== $status ) {
				$data = json_decode( $raw_body );
				if ( JSON_ERROR_NONE !== json_last_error() ) {
					return $this->unavailable( $sidecar_path, sprintf( 'HTTP %d with a non-JSON body', $status ) );
				}
			}
			$result = new WP_REST_Response( $this->normalize( $data ), $status );
		}

		foreach ( self::PASSTHROUGH_HEADERS as $name ) {
			$value = wp_remote_retrieve_header( $response, strtolower( $name ) );
			if ( is_array( $value ) ) {
				$value = end( $value );
			}
			if ( is_string( $value ) && '' !== $value ) {
				$result->header( $name, $value );
			}
		}
		return $result;
	}

	/**
	 * Sidecar path for a request: `$base` + the route after `/bookingx/v1/video` + the query string.
	 *
	 * The same string is sent and signed (identity claim `path`).
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @param string          $base    Sidecar path prefix, e.g. `/v1`.
	 * @return string
	 */
	protected function sidecar_path( WP_REST_Request $request, string $base ): string {
		$prefix = '/' . self::REST_NAMESPACE . self::PATH_PREFIX;
		$route  = $request->get_route();
		$rest   = 0 === strpos( $route, $prefix ) ? substr( $route, strlen( $prefix ) ) : $route;
		return $base . $rest . $this->query_suffix( $request );
	}

	/**
	 * `?` + the request's query string without WordPress's own parameters, or ''.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return string
	 */
	protected function query_suffix( WP_REST_Request $request ): string {
		$params = (array) $request->get_query_params();
		foreach ( self::WP_QUERY_PARAMS as $name ) {
			unset( $params[ $name ] );
		}
		$query = http_build_query( $params, '', '&', PHP_QUERY_RFC3986 );
		return '' === $query ? '' : '?' . $query;
	}

	/**
	 * The caller's request id if it is sane, else a new one.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return string
	 */
	private function request_id( WP_REST_Request $request ): string {
		$incoming = (string) $request->get_header( 'x_request_id' );
		if ( preg_match( '/^[A-Za-z0-9._:-]{8,128}$/', $incoming ) ) {
			return $incoming;
		}
		return wp_generate_uuid4();
	}

	/**
	 * Content types a pass-through answer may carry; anything else is served as text/plain so that
	 * an upstream answer can never become HTML on the site's origin.
	 *
	 * @param string $content_type Upstream Content-Type.
	 * @return string
	 */
	private function safe_content_type( string $content_type ): string {
		$media = strtolower( trim( explode( ';', $content_type )[0] ) );
		if ( 'application/json' === $media ) {
			return 'application/json; charset=utf-8';
		}
		return 'text/plain; charset=utf-8';
	}

	/**
	 * Decoded JSON as associative arrays (what WordPress filters expect), except that empty
	 * objects and objects with list-like keys stay objects, so `{}` is not re-encoded as `[]`.
	 *
	 * @param mixed $value Value from json_decode() in object mode.
	 * @return mixed
	 */
	private function normalize( $value ) {
		if ( is_array( $value ) ) {
			return array_map( array( $this, 'normalize' ), $value );
		}
		if ( $value instanceof \stdClass ) {
			$props = array_map( array( $this, 'normalize' ), get_object_vars( $value ) );
			if ( array() === $props || array_keys( $props ) === range( 0, count( $props ) - 1 ) ) {
				return (object) $props;
			}
			return $props;
		}
		return $value;
	}

	/**
	 * The 503 answer for an unreachable or broken sidecar.
	 *
	 * @param string $sidecar_path Path that was requested.
	 * @param string $reason       Why, for the log.
	 * @return WP_Error
	 */
	protected function unavailable( string $sidecar_path, string $reason ): WP_Error {
		error_log( sprintf( 'BookingX Video Consultation: sidecar request %s failed: %s', strtok( $sidecar_path, '?' ), $reason ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
		return new WP_Error(
			'sidecar_unavailable',
			__( 'The video consultation service is not reachable right now. Please try again in a minute.', 'bookingx-video-consultation' ),
			array( 'status' => 503 )
		);
	}

	/**
	 * Permission for routes open to logged-in users and to guests holding an access token.
	 *
	 * Whether the token is valid is the sidecar's decision; PHP only requires it to be present.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return true|WP_Error
	 */
	public function user_or_token_permission( WP_REST_Request $request ) {
		if ( is_user_logged_in() ) {
			return true;
		}
		$params = (array) $request->get_query_params();
		if ( isset( $params['bkx_vc'] ) && is_string( $params['bkx_vc'] ) && '' !== $params['bkx_vc'] ) {
			return true;
		}
		return new WP_Error(
			'unauthenticated',
			__( 'Please log in to join this consultation.', 'bookingx-video-consultation' ),
			array( 'status' => 401 )
		);
	}

	/**
	 * The `bkx_vc` argument of routes open to guests holding their invitation link.
	 *
	 * @return array<string, array>
	 */
	protected function token_arg(): array {
		return array(
			'bkx_vc' => array(
				'description' => __( 'Access token from the invitation link, for customers who are not logged in.', 'bookingx-video-consultation' ),
				'type'        => 'string',
			),
		);
	}

	/**
	 * The `id` path argument, described for its resource.
	 *
	 * @param string $description Translated description.
	 * @return array<string, array>
	 */
	protected function id_arg( string $description ): array {
		return array(
			'id' => array(
				'description' => $description,
				'type'        => 'integer',
			),
		);
	}

	/**
	 * Permission for admin routes: `manage_options`.
	 *
	 * @return true|WP_Error
	 */
	public function manage_options_permission() {
		if ( current_user_can( 'manage_options' ) ) {
			return true;
		}
		if ( ! is_user_logged_in() ) {
			return new WP_Error(
				'unauthenticated',
				__( 'Please log in to manage video consultations.', 'bookingx-video-consultation' ),
				array( 'status' => 401 )
			);
		}
		return new WP_Error(
			'forbidden',
			__( 'You are not allowed to manage video consultations.', 'bookingx-video-consultation' ),
			array( 'status' => 403 )
		);
	}
}

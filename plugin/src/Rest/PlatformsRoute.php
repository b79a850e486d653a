<?php
/**
 * Platform setup resource (setup wizard checks, Google OAuth connect).
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_REST_Request;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `GET/POST/DELETE video/platforms/<platform>/<action>`, forwarded to the sidecar's
 * `/v1/platforms/<platform>/<action>`. Administrators only.
 *
 * One generic route for every platform setup call the sidecar offers (the wizard's
 * `<platform>/check`, Google's `meet/oauth/start`, `meet/oauth/exchange`, `meet/oauth`); what
 * exists and who may call it is the sidecar's decision, as for every proxied route.
 */
class PlatformsRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'platforms';

	/** The platform slugs (contracts `PlatformIdSchema`). */
	const PLATFORMS = 'zoom|teams|meet|jitsi|webrtc';

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		$args = array(
			'callback'            => array( $this, 'forward_platform' ),
			'permission_callback' => array( $this, 'manage_options_permission' ),
		);
		return array(
			self::PATH_PREFIX . '/platforms/(?P<platform>' . self::PLATFORMS . ')/(?P<action>[a-z0-9_/-]+)' => array(
				array_merge( $args, array( 'methods' => WP_REST_Server::READABLE ) ),
				array_merge( $args, array( 'methods' => WP_REST_Server::CREATABLE ) ),
				array_merge( $args, array( 'methods' => WP_REST_Server::DELETABLE ) ),
			),
		);
	}

	/**
	 * Forwards to `/v1/platforms/<platform>/<action>` plus the query string.
	 *
	 * The path is rebuilt from the two matched parameters (both limited by the route's pattern to
	 * `[a-z0-9_/-]`), so nothing but what the pattern allows reaches the sidecar; the same string
	 * is sent and signed.
	 *
	 * @param WP_REST_Request $request Incoming request (already authorised by its permission callback).
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function forward_platform( WP_REST_Request $request ) {
		// URL parameters only: get_param() would let a JSON body's `platform` or `action` win.
		$url      = $request->get_url_params();
		$platform = isset( $url['platform'] ) ? (string) $url['platform'] : '';
		$action   = isset( $url['action'] ) ? trim( (string) $url['action'], '/' ) : '';
		return $this->forward( $request, '/v1/platforms/' . $platform . '/' . $action . $this->query_suffix( $request ) );
	}
}

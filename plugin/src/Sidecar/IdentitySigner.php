<?php
/**
 * Signs the X-BKX-Identity header.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Sidecar;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * States who the WordPress user is, as an HS256 JWT bound to one request (architecture §2).
 *
 * The sidecar's policy decides what that user may do; PHP only reports roles and the three
 * capabilities the policy reads.
 */
class IdentitySigner {

	/** Lifetime of an identity token in seconds (the sidecar accepts at most 60). */
	const TTL = 30;

	/** Capabilities reported for users. `bkx_video_system` is never given to a user. */
	const USER_CAPS = array( 'manage_options', 'bkx_video_manage', 'bkx_video_conduct' );

	/** Capability of PHP's own internal calls. */
	const SYSTEM_CAP = 'bkx_video_system';

	/**
	 * Connection settings (the secret).
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
	 * Signs the identity of a user, or of a guest when $user is null or has id 0.
	 *
	 * @param WP_User|null $user   The authenticated user.
	 * @param string       $method HTTP method forwarded.
	 * @param string       $path   Sidecar path with its query string, exactly as sent.
	 * @param string       $body   Raw body bytes sent.
	 * @return string
	 */
	public function sign_user( ?WP_User $user, string $method, string $path, string $body ): string {
		if ( ! $user || ! $user->exists() ) {
			return $this->sign( 0, array(), array(), null, null, $method, $path, $body );
		}

		$caps = array();
		foreach ( self::USER_CAPS as $cap ) {
			if ( user_can( $user, $cap ) ) {
				$caps[] = $cap;
			}
		}

		return $this->sign(
			(int) $user->ID,
			array_slice( array_values( array_map( 'strval', (array) $user->roles ) ), 0, 20 ),
			$caps,
			'' !== (string) $user->user_email ? (string) $user->user_email : null,
			'' !== (string) $user->display_name ? (string) $user->display_name : null,
			$method,
			$path,
			$body
		);
	}

	/**
	 * Signs PHP's own identity for internal calls such as the outbox nudge.
	 *
	 * @param string $method HTTP method.
	 * @param string $path   Sidecar path with its query string, exactly as sent.
	 * @param string $body   Raw body bytes sent.
	 * @return string
	 */
	public function sign_system( string $method, string $path, string $body ): string {
		return $this->sign( 0, array(), array( self::SYSTEM_CAP ), null, null, $method, $path, $body );
	}

	/**
	 * Builds and signs the claims.
	 *
	 * @param int         $sub    User id.
	 * @param string[]    $roles  Role slugs.
	 * @param string[]    $caps   Capabilities.
	 * @param string|null $email  E-mail address.
	 * @param string|null $name   Display name.
	 * @param string      $method HTTP method.
	 * @param string      $path   Sidecar path with query string.
	 * @param string      $body   Raw body.
	 * @return string
	 */
	private function sign( int $sub, array $roles, array $caps, ?string $email, ?string $name, string $method, string $path, string $body ): string {
		$now = time();
		return Jwt::encode(
			array(
				'sub'         => $sub,
				'roles'       => $roles,
				'caps'        => $caps,
				'email'       => $email,
				'name'        => null === $name ? null : mb_substr( $name, 0, 200 ),
				'method'      => strtoupper( $method ),
				'path'        => $path,
				'body_sha256' => hash( 'sha256', $body ),
				'iat'         => $now,
				'exp'         => $now + self::TTL,
				'jti'         => bin2hex( random_bytes( 16 ) ),
			),
			$this->config->secret()
		);
	}
}

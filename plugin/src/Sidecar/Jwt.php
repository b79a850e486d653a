<?php
/**
 * Minimal HS256 JSON Web Tokens.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Sidecar;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Encodes and verifies compact HS256 JWTs. Only HS256 is accepted, whatever the header says.
 */
final class Jwt {

	/**
	 * Signs claims into a compact JWT.
	 *
	 * @param array  $claims Claims to sign.
	 * @param string $secret Shared secret.
	 * @return string
	 */
	public static function encode( array $claims, string $secret ): string {
		$flags    = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;
		$segments = array(
			self::base64url_encode( (string) wp_json_encode( array( 'alg' => 'HS256', 'typ' => 'JWT' ), $flags ) ),
			self::base64url_encode( (string) wp_json_encode( $claims, $flags ) ),
		);
		$segments[] = self::base64url_encode( hash_hmac( 'sha256', implode( '.', $segments ), $secret, true ) );
		return implode( '.', $segments );
	}

	/**
	 * Checks the format, the algorithm and the signature, and returns the claims.
	 *
	 * Time, audience and replay checks are the caller's job.
	 *
	 * @param string $token  Compact JWT.
	 * @param string $secret Shared secret.
	 * @return array|WP_Error Claims, or an error whose message says why (for logs only).
	 */
	public static function decode( string $token, string $secret ) {
		if ( '' === $secret ) {
			return new WP_Error( 'jwt_no_secret', 'No secret configured.' );
		}
		$parts = explode( '.', $token );
		if ( 3 !== count( $parts ) ) {
			return new WP_Error( 'jwt_malformed', 'Not a compact JWT.' );
		}
		list( $header_b64, $claims_b64, $signature_b64 ) = $parts;

		$header = json_decode( (string) self::base64url_decode( $header_b64 ), true );
		if ( ! is_array( $header ) || ! isset( $header['alg'] ) || 'HS256' !== $header['alg'] ) {
			return new WP_Error( 'jwt_alg', 'Only HS256 is accepted.' );
		}

		$expected  = hash_hmac( 'sha256', $header_b64 . '.' . $claims_b64, $secret, true );
		$signature = self::base64url_decode( $signature_b64 );
		if ( false === $signature || ! hash_equals( $expected, $signature ) ) {
			return new WP_Error( 'jwt_signature', 'Bad signature.' );
		}

		$claims = json_decode( (string) self::base64url_decode( $claims_b64 ), true );
		if ( ! is_array( $claims ) ) {
			return new WP_Error( 'jwt_claims', 'Claims are not a JSON object.' );
		}
		return $claims;
	}

	/**
	 * Base64url without padding.
	 *
	 * @param string $data Raw bytes.
	 * @return string
	 */
	public static function base64url_encode( string $data ): string {
		return rtrim( strtr( base64_encode( $data ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}

	/**
	 * Decodes base64url (padding optional).
	 *
	 * @param string $data Encoded text.
	 * @return string|false
	 */
	public static function base64url_decode( string $data ) {
		if ( '' !== $data && ! preg_match( '/^[A-Za-z0-9_-]+={0,2}$/', $data ) ) {
			return false;
		}
		return base64_decode( strtr( $data, '-_', '+/' ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
	}
}

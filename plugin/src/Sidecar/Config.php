<?php
/**
 * Sidecar connection settings.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Reads the sidecar URL, secret and timeout: a wp-config constant first, then the environment.
 */
class Config {

	/** Default request timeout in seconds. */
	const DEFAULT_TIMEOUT = 10;

	/**
	 * Base URL of the sidecar without a trailing slash, e.g. `http://127.0.0.1:8787`, or ''.
	 *
	 * @return string
	 */
	public function url(): string {
		return untrailingslashit( trim( $this->read( 'BKX_VIDEO_SIDECAR_URL' ) ) );
	}

	/**
	 * Shared HS256 secret, or '' when not configured.
	 *
	 * @return string
	 */
	public function secret(): string {
		return $this->read( 'BKX_VIDEO_SIDECAR_SECRET' );
	}

	/**
	 * Timeout of a proxied request in seconds (`BKX_VIDEO_SIDECAR_TIMEOUT`, default 10).
	 *
	 * @return float
	 */
	public function timeout(): float {
		$value = $this->read( 'BKX_VIDEO_SIDECAR_TIMEOUT' );
		if ( '' === $value || ! is_numeric( $value ) || (float) $value <= 0 ) {
			return (float) self::DEFAULT_TIMEOUT;
		}
		return (float) $value;
	}

	/**
	 * Whether both the URL and the secret are set.
	 *
	 * @return bool
	 */
	public function is_configured(): bool {
		return '' !== $this->url() && '' !== $this->secret();
	}

	/**
	 * Value of a constant, else of the environment variable of the same name, else ''.
	 *
	 * @param string $name Constant / variable name.
	 * @return string
	 */
	private function read( string $name ): string {
		if ( defined( $name ) ) {
			$value = constant( $name );
			return is_scalar( $value ) ? (string) $value : '';
		}
		$value = getenv( $name );
		return false === $value ? '' : (string) $value;
	}
}

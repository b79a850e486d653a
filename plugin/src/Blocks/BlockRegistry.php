<?php
/**
 * Block registration.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Blocks;

defined( 'ABSPATH' ) || exit;

/**
 * Registers every block built into `plugin/build/blocks/<slug>/`; metadata comes from block.json.
 */
class BlockRegistry {

	/** Script handle that wp-scripts ≥ 28 builds depend on; core registers it only from WP 6.6. */
	const JSX_RUNTIME_HANDLE = 'react-jsx-runtime';

	/**
	 * Adds the hooks.
	 *
	 * @return void
	 */
	public function init(): void {
		add_action( 'init', array( $this, 'register' ) );
	}

	/**
	 * Registers the JSX runtime shim if needed, then the blocks. Hooked on `init`.
	 *
	 * @return void
	 */
	public function register(): void {
		$this->register_jsx_runtime_shim();

		if ( ! function_exists( 'register_block_type' ) ) {
			return;
		}
		$manifests = glob( BKX_VIDEO_PLUGIN_DIR . 'build/blocks/*/block.json' );
		if ( ! is_array( $manifests ) ) {
			return; // Not built: nothing to register.
		}
		foreach ( $manifests as $manifest ) {
			register_block_type( dirname( $manifest ) );
		}
	}

	/**
	 * On WordPress < 6.6 the `react-jsx-runtime` handle does not exist, and a script depending on
	 * it is silently never enqueued. Register a shim over React.createElement under that handle.
	 *
	 * @return void
	 */
	private function register_jsx_runtime_shim(): void {
		if ( wp_script_is( self::JSX_RUNTIME_HANDLE, 'registered' ) ) {
			return;
		}
		wp_register_script(
			self::JSX_RUNTIME_HANDLE,
			BKX_VIDEO_PLUGIN_URL . 'assets/jsx-runtime-shim.js',
			array( 'react' ),
			BKX_VIDEO_VERSION,
			false
		);
	}
}

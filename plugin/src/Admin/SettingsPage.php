<?php
/**
 * Admin page.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Admin;

use BookingX\Addons\VideoConsultation\Installer;

defined( 'ABSPATH' ) || exit;

/**
 * The "Video Consultations" menu page: a mount point for the admin app built into
 * `plugin/build/admin/`.
 */
class SettingsPage {

	/** Menu slug. */
	const SLUG = 'bkx-video';

	/** Script and style handle of the admin app. */
	const HANDLE = 'bkx-video-admin';

	/**
	 * Hook suffix returned by add_menu_page().
	 *
	 * @var string
	 */
	private $hook_suffix = '';

	/**
	 * Adds the hooks.
	 *
	 * @return void
	 */
	public function init(): void {
		add_action( 'admin_menu', array( $this, 'add_menu' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue' ) );
	}

	/**
	 * Adds the top-level menu. Hooked on `admin_menu`.
	 *
	 * @return void
	 */
	public function add_menu(): void {
		$this->hook_suffix = (string) add_menu_page(
			__( 'Video Consultations', 'bookingx-video-consultation' ),
			__( 'Video Consultations', 'bookingx-video-consultation' ),
			'manage_options',
			self::SLUG,
			array( $this, 'render' ),
			'dashicons-video-alt2'
		);
	}

	/**
	 * Folder of the admin app build.
	 *
	 * @return string
	 */
	private function build_dir(): string {
		return BKX_VIDEO_PLUGIN_DIR . 'build/admin/';
	}

	/**
	 * Whether the admin app was built.
	 *
	 * @return bool
	 */
	private function is_built(): bool {
		return is_readable( $this->build_dir() . 'index.js' ) && is_readable( $this->build_dir() . 'index.asset.php' );
	}

	/**
	 * Enqueues the admin app on our page only. Hooked on `admin_enqueue_scripts`.
	 *
	 * @param string $hook_suffix Current admin page.
	 * @return void
	 */
	public function enqueue( $hook_suffix ): void {
		if ( '' === $this->hook_suffix || $hook_suffix !== $this->hook_suffix || ! $this->is_built() ) {
			return;
		}

		$asset = include $this->build_dir() . 'index.asset.php';
		$asset = is_array( $asset ) ? $asset : array();
		$deps  = isset( $asset['dependencies'] ) && is_array( $asset['dependencies'] ) ? $asset['dependencies'] : array();
		$ver   = isset( $asset['version'] ) ? (string) $asset['version'] : BKX_VIDEO_VERSION;
		$url   = BKX_VIDEO_PLUGIN_URL . 'build/admin/';

		wp_enqueue_script( self::HANDLE, $url . 'index.js', $deps, $ver, true );
		wp_add_inline_script(
			self::HANDLE,
			'window.bkxVideoAdmin = ' . wp_json_encode(
				array(
					'restNamespace' => 'bookingx/v1/video',
					'siteUrl'       => untrailingslashit( home_url() ),
					'joinPagePath'  => $this->join_page_path(),
				)
			) . ';',
			'before'
		);
		wp_set_script_translations( self::HANDLE, 'bookingx-video-consultation', BKX_VIDEO_PLUGIN_DIR . 'languages' );

		$style_deps = in_array( 'wp-components', $deps, true ) ? array( 'wp-components' ) : array();
		foreach ( array( 'index.css', 'style-index.css' ) as $i => $css ) {
			if ( is_readable( $this->build_dir() . $css ) ) {
				$style_handle = self::HANDLE . ( 0 === $i ? '' : '-style' );
				wp_enqueue_style( $style_handle, $url . $css, $style_deps, $ver );
				if ( is_readable( $this->build_dir() . str_replace( '.css', '-rtl.css', $css ) ) ) {
					wp_style_add_data( $style_handle, 'rtl', 'replace' );
				}
			}
		}
		if ( array() !== $style_deps ) {
			wp_enqueue_style( 'wp-components' );
		}
	}

	/**
	 * Path of the join page relative to the site URL (`/video-consultation/` by default).
	 *
	 * @return string
	 */
	private function join_page_path(): string {
		$default = '/' . Installer::JOIN_PAGE_SLUG . '/';
		$page_id = (int) get_option( Installer::JOIN_PAGE_OPTION, 0 );
		if ( $page_id <= 0 || 'publish' !== get_post_status( $page_id ) ) {
			return $default;
		}
		$permalink = get_permalink( $page_id );
		$home      = untrailingslashit( home_url() );
		if ( ! is_string( $permalink ) || 0 !== strpos( $permalink, $home ) ) {
			return $default;
		}
		return '/' . ltrim( substr( $permalink, strlen( $home ) ), '/' );
	}

	/**
	 * Prints the page. The admin app replaces the mount point's content.
	 *
	 * @return void
	 */
	public function render(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap">';
		if ( ! $this->is_built() ) {
			printf(
				'<h1>%1$s</h1><div class="notice notice-error inline"><p>%2$s</p></div></div>',
				esc_html__( 'Video Consultations', 'bookingx-video-consultation' ),
				wp_kses(
					sprintf(
						/* translators: %s: the missing folder, build/admin/ */
						esc_html__( 'The admin screen has not been built: %s is missing. Build the plugin\'s assets (pnpm -r run build) or install a packaged release.', 'bookingx-video-consultation' ),
						'<code>build/admin/</code>'
					),
					array( 'code' => array() )
				)
			);
			return;
		}
		// A page title and the header end marker: WordPress moves admin notices below it (common.js),
		// not into the first heading of the app.
		printf(
			'<h1 class="wp-heading-inline">%s</h1><hr class="wp-header-end">',
			esc_html__( 'Video Consultations', 'bookingx-video-consultation' )
		);
		printf(
			'<div id="bkx-video-admin"></div><noscript><div class="notice notice-warning inline"><p>%s</p></div></noscript>',
			esc_html__( 'The video consultation settings need JavaScript. Please enable JavaScript in your browser.', 'bookingx-video-consultation' )
		);
		echo '</div>';
	}
}

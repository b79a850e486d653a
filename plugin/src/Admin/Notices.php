<?php
/**
 * Requirement notices.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Admin;

use BookingX\Addons\VideoConsultation\Sidecar\Config;

defined( 'ABSPATH' ) || exit;

/**
 * Tells administrators what is missing instead of failing: BookingX, or the sidecar settings.
 */
class Notices {

	/**
	 * Connection settings.
	 *
	 * @var Config
	 */
	private $config;

	/**
	 * Whether BookingX was found missing.
	 *
	 * @var bool
	 */
	private $bookingx_missing = false;

	/**
	 * Constructor.
	 *
	 * @param Config $config Connection settings.
	 */
	public function __construct( Config $config ) {
		$this->config = $config;
	}

	/**
	 * Adds the hooks.
	 *
	 * @return void
	 */
	public function init(): void {
		add_action( 'admin_notices', array( $this, 'render' ) );
	}

	/**
	 * Marks BookingX as missing, so that the notice shows.
	 *
	 * @return void
	 */
	public function bookingx_missing(): void {
		$this->bookingx_missing = true;
	}

	/**
	 * Prints the notices that apply. Hooked on `admin_notices`.
	 *
	 * @return void
	 */
	public function render(): void {
		if ( ! current_user_can( 'activate_plugins' ) && ! current_user_can( 'manage_options' ) ) {
			return;
		}

		if ( $this->bookingx_missing ) {
			printf(
				'<div class="notice notice-warning"><p>%s</p></div>',
				esc_html__( 'BookingX Video Consultation needs the BookingX plugin. Install and activate BookingX; until then no booking becomes a video consultation.', 'bookingx-video-consultation' )
			);
		}

		if ( ! $this->config->is_configured() ) {
			printf(
				'<div class="notice notice-warning"><p>%s</p></div>',
				wp_kses(
					sprintf(
						/* translators: 1: BKX_VIDEO_SIDECAR_URL, 2: BKX_VIDEO_SIDECAR_SECRET, 3: wp-config.php */
						esc_html__( 'BookingX Video Consultation cannot reach its video service yet. Define %1$s and %2$s in %3$s (or as environment variables).', 'bookingx-video-consultation' ),
						'<code>BKX_VIDEO_SIDECAR_URL</code>',
						'<code>BKX_VIDEO_SIDECAR_SECRET</code>',
						'<code>wp-config.php</code>'
					),
					array( 'code' => array() )
				)
			);
		}
	}
}

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

		$this->render_platform_health();

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
	/**
	 * One notice per video platform that refuses its credentials (pushed by the sidecar, see
	 * Rest\HealthRelayRoute), with what the platform said and a link to the settings.
	 *
	 * @return void
	 */
	private function render_platform_health(): void {
		// Our own screen shows the same state in more detail (the status panel).
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( $screen && false !== strpos( (string) $screen->id, 'bkx-video' ) ) {
			return;
		}
		$failing = get_option( 'bkx_video_platform_health', array() );
		if ( ! is_array( $failing ) ) {
			return;
		}
		foreach ( $failing as $item ) {
			if ( ! is_array( $item ) || empty( $item['platform'] ) ) {
				continue;
			}
			$since = isset( $item['since'] ) ? strtotime( (string) $item['since'] ) : false;
			$count = isset( $item['affected_count'] ) ? (int) $item['affected_count'] : 0;
			printf(
				'<div class="notice notice-error bkx-video-health-notice" data-platform="%1$s"><p><strong>%2$s</strong> %3$s</p><p>%4$s %5$s <a href="%6$s">%7$s</a></p></div>',
				esc_attr( (string) $item['platform'] ),
				esc_html(
					sprintf(
						/* translators: %s: a video platform, e.g. Zoom */
						__( '%s stopped working for video consultations.', 'bookingx-video-consultation' ),
						isset( $item['label'] ) ? (string) $item['label'] : (string) $item['platform']
					)
				),
				esc_html( isset( $item['message'] ) ? (string) $item['message'] : '' ),
				esc_html(
					false !== $since
						? sprintf(
							/* translators: %s: date and time */
							__( 'Since %s.', 'bookingx-video-consultation' ),
							wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $since )
						)
						: ''
				),
				esc_html(
					sprintf(
						/* translators: %d: number of consultations */
						_n(
							'%d consultation is affected; it is repaired automatically once the credentials work again.',
							'%d consultations are affected; they are repaired automatically once the credentials work again.',
							$count,
							'bookingx-video-consultation'
						),
						$count
					)
				),
				esc_url( admin_url( 'admin.php?page=bkx-video' ) ),
				esc_html__( 'Open the video settings', 'bookingx-video-consultation' )
			);
		}
	}
}

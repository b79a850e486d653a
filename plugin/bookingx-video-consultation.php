<?php
/**
 * Plugin Name:       BookingX Video Consultation
 * Description:       Turns BookingX bookings of video services into video consultations (Zoom, Microsoft Teams, Google Meet, Jitsi or the built-in room).
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            BookingX Video Consultation contributors
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       bookingx-video-consultation
 * Domain Path:       /languages
 *
 * This file only checks requirements, loads the autoloader and hands over to Plugin::boot().
 * It must stay parseable by old PHP versions so that they get a notice instead of a fatal error.
 *
 * @package BookingX\Addons\VideoConsultation
 */

defined( 'ABSPATH' ) || exit;

define( 'BKX_VIDEO_VERSION', '0.1.0' );
define( 'BKX_VIDEO_PLUGIN_FILE', __FILE__ );
define( 'BKX_VIDEO_PLUGIN_DIR', plugin_dir_path( __FILE__ ) );
define( 'BKX_VIDEO_PLUGIN_URL', plugin_dir_url( __FILE__ ) );
define( 'BKX_VIDEO_MIN_PHP', '7.4' );

if ( version_compare( PHP_VERSION, BKX_VIDEO_MIN_PHP, '<' ) ) {
	add_action( 'admin_notices', 'bkx_video_php_version_notice' );

	/**
	 * Explains why the plugin stays inactive on an old PHP version.
	 *
	 * @return void
	 */
	function bkx_video_php_version_notice() {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error"><p>%s</p></div>',
			esc_html(
				sprintf(
					/* translators: 1: required PHP version, 2: running PHP version. */
					__( 'BookingX Video Consultation needs PHP %1$s or later. This site runs PHP %2$s, so the plugin does nothing.', 'bookingx-video-consultation' ),
					BKX_VIDEO_MIN_PHP,
					PHP_VERSION
				)
			)
		);
	}
	return;
}

spl_autoload_register(
	static function ( $class_name ) {
		$prefix = 'BookingX\\Addons\\VideoConsultation\\';
		if ( 0 !== strpos( $class_name, $prefix ) ) {
			return;
		}
		$file = BKX_VIDEO_PLUGIN_DIR . 'src/' . str_replace( '\\', '/', substr( $class_name, strlen( $prefix ) ) ) . '.php';
		if ( is_readable( $file ) ) {
			require $file;
		}
	}
);

register_activation_hook( __FILE__, array( \BookingX\Addons\VideoConsultation\Installer::class, 'activate' ) );
register_deactivation_hook( __FILE__, array( \BookingX\Addons\VideoConsultation\Installer::class, 'deactivate' ) );

add_action( 'plugins_loaded', array( \BookingX\Addons\VideoConsultation\Plugin::class, 'boot' ) );

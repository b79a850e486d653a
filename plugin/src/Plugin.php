<?php
/**
 * Wires the plugin's services together.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation;

use BookingX\Addons\VideoConsultation\Admin\Notices;
use BookingX\Addons\VideoConsultation\Admin\ServiceMetaBox;
use BookingX\Addons\VideoConsultation\Admin\SettingsPage;
use BookingX\Addons\VideoConsultation\Blocks\BlockRegistry;
use BookingX\Addons\VideoConsultation\Blocks\RoomPage;
use BookingX\Addons\VideoConsultation\Bookingx\Listeners;
use BookingX\Addons\VideoConsultation\Bookingx\PlatformChoiceField;
use BookingX\Addons\VideoConsultation\Privacy\RecordingsPrivacy;
use BookingX\Addons\VideoConsultation\Rest\RouteRegistry;
use BookingX\Addons\VideoConsultation\Sidecar\Client;
use BookingX\Addons\VideoConsultation\Sidecar\Config;
use BookingX\Addons\VideoConsultation\Sidecar\IdentitySigner;

defined( 'ABSPATH' ) || exit;

/**
 * Builds every service once and lets each one add its hooks. No business rules live here.
 */
final class Plugin {

	/**
	 * Whether boot() already ran.
	 *
	 * @var bool
	 */
	private static $booted = false;

	/**
	 * Requirement notices, shared with the BookingX check.
	 *
	 * @var Notices|null
	 */
	private static $notices = null;

	/**
	 * The outbox listeners, attached only when BookingX is active.
	 *
	 * @var Listeners|null
	 */
	private static $listeners = null;

	/**
	 * Entry point, hooked on `plugins_loaded`.
	 *
	 * @return void
	 */
	public static function boot(): void {
		if ( self::$booted ) {
			return;
		}
		self::$booted = true;

		$config = new Config();
		$signer = new IdentitySigner( $config );
		$client = new Client( $config );

		self::$notices   = new Notices( $config );
		self::$listeners = new Listeners( $client, $signer );

		self::$notices->init();
		( new BlockRegistry() )->init();
		( new RoomPage() )->init();
		( new SettingsPage() )->init();
		( new ServiceMetaBox() )->init();
		( new RouteRegistry( $client, $signer, $config ) )->init();
		( new PlatformChoiceField( $client, $signer ) )->init();
		( new RecordingsPrivacy( $client, $signer ) )->init();

		add_action( 'init', array( self::class, 'load_textdomain' ) );

		// Real BookingX defines BKX_PLUGIN_VER while plugins load, so the listeners can be attached now,
		// before any BookingX request handler runs. A build without the constant is recognised later
		// by its post type, which only exists once `init` has run.
		if ( self::bookingx_active() ) {
			self::$listeners->init();
		} else {
			add_action( 'wp_loaded', array( self::class, 'late_bookingx_check' ) );
		}
	}

	/**
	 * Second chance for the BookingX check, once post types are registered.
	 *
	 * @return void
	 */
	public static function late_bookingx_check(): void {
		if ( self::bookingx_active() ) {
			self::$listeners->init();
			return;
		}
		self::$notices->bookingx_missing();
	}

	/**
	 * Whether BookingX core is loaded.
	 *
	 * @return bool
	 */
	public static function bookingx_active(): bool {
		return defined( 'BKX_PLUGIN_VER' ) || post_type_exists( 'bkx_booking' );
	}

	/**
	 * Loads translations shipped in the plugin's languages folder.
	 *
	 * @return void
	 */
	public static function load_textdomain(): void {
		load_plugin_textdomain( 'bookingx-video-consultation', false, dirname( plugin_basename( BKX_VIDEO_PLUGIN_FILE ) ) . '/languages' );
	}
}

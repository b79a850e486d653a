<?php
/**
 * Activation and deactivation.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation;

defined( 'ABSPATH' ) || exit;

/**
 * Adds capabilities and roles and creates the join page. Deactivation keeps all data.
 */
final class Installer {

	/** Capability of managers (settings of consultations, all bookings). */
	const CAP_MANAGE = 'bkx_video_manage';

	/** Capability of providers (hosting their own consultations). */
	const CAP_CONDUCT = 'bkx_video_conduct';

	/** Option holding the id of the page with the Join block. */
	const JOIN_PAGE_OPTION = 'bkx_video_join_page_id';

	/** Slug of the join page. */
	const JOIN_PAGE_SLUG = 'video-consultation';

	/**
	 * Runs on plugin activation.
	 *
	 * @return void
	 */
	public static function activate(): void {
		self::add_capabilities();
		self::create_join_page();
	}

	/**
	 * Runs on plugin deactivation. Roles, capabilities, the page and all data stay, so that a
	 * reactivation resumes where the site left off.
	 *
	 * @return void
	 */
	public static function deactivate(): void {
	}

	/**
	 * Gives administrators both video capabilities and creates the manager and provider roles.
	 *
	 * @return void
	 */
	private static function add_capabilities(): void {
		$admin = get_role( 'administrator' );
		if ( $admin ) {
			$admin->add_cap( self::CAP_MANAGE );
			$admin->add_cap( self::CAP_CONDUCT );
		}

		$roles = array(
			'bkx_video_manager'  => array(
				'label' => _x( 'Video consultation manager', 'user role', 'bookingx-video-consultation' ),
				'cap'   => self::CAP_MANAGE,
			),
			'bkx_video_provider' => array(
				'label' => _x( 'Video consultation provider', 'user role', 'bookingx-video-consultation' ),
				'cap'   => self::CAP_CONDUCT,
			),
		);
		foreach ( $roles as $slug => $role ) {
			$existing = get_role( $slug );
			if ( $existing ) {
				// An earlier version or an admin may have trimmed the role: make sure both caps are there.
				$existing->add_cap( 'read' );
				$existing->add_cap( $role['cap'] );
				continue;
			}
			add_role(
				$slug,
				$role['label'],
				array(
					'read'       => true,
					$role['cap'] => true,
				)
			);
		}
	}

	/**
	 * Creates the published page `/video-consultation/` with the Join block, unless a page with that
	 * slug exists, and remembers its id.
	 *
	 * @return void
	 */
	private static function create_join_page(): void {
		$existing = get_page_by_path( self::JOIN_PAGE_SLUG, OBJECT, 'page' );
		if ( $existing instanceof \WP_Post ) {
			update_option( self::JOIN_PAGE_OPTION, (int) $existing->ID );
			return;
		}

		$page_id = wp_insert_post(
			array(
				'post_type'      => 'page',
				'post_status'    => 'publish',
				'post_name'      => self::JOIN_PAGE_SLUG,
				'post_title'     => __( 'Video consultation', 'bookingx-video-consultation' ),
				'post_content'   => '<!-- wp:bookingx-video/join-button /-->',
				'comment_status' => 'closed',
				'ping_status'    => 'closed',
			),
			true
		);
		if ( is_wp_error( $page_id ) ) {
			// Not fatal: the admin can create the page by hand and pick it in the settings.
			error_log( 'BookingX Video Consultation: could not create the join page: ' . $page_id->get_error_message() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			return;
		}
		update_option( self::JOIN_PAGE_OPTION, (int) $page_id );
	}
}

<?php
/**
 * The built-in room's page.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Blocks;

defined( 'ABSPATH' ) || exit;

/**
 * `/?bkx_video_room=<room>`: a page of the site holding only the consultation room block, where
 * the Join button sends people on the built-in room (platform `webrtc`). No page needs creating;
 * a site owner who wants the room inside their own layout puts the block on any page and the
 * same query argument opens it there.
 *
 * The page is never cached or indexed and sends no Referer (a guest's link may carry their
 * personal token until the script takes it out of the address bar).
 */
class RoomPage {

	/** Query argument naming the room. */
	const QUERY_ARG = 'bkx_video_room';

	/**
	 * Adds the hooks.
	 *
	 * @return void
	 */
	public function init(): void {
		add_action( 'template_redirect', array( $this, 'maybe_render' ), 0 );
	}

	/**
	 * The room id of this request, or '' when it names none; null when it names one badly.
	 *
	 * @return string|null
	 */
	public static function requested_room(): ?string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a public link; access is checked by the ticket request.
		if ( ! isset( $_GET[ self::QUERY_ARG ] ) ) {
			return '';
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$room = sanitize_text_field( wp_unslash( $_GET[ self::QUERY_ARG ] ) );
		return preg_match( '/^r_[a-z0-9]{20}$/', $room ) ? $room : null;
	}

	/**
	 * Serves the room page when the request names a room, on the front page only (a page that
	 * holds the block itself renders through the theme as usual). Hooked on `template_redirect`.
	 *
	 * @return void
	 */
	public function maybe_render(): void {
		$room = self::requested_room();
		if ( '' === $room || ! ( is_front_page() || is_home() ) ) {
			return;
		}
		nocache_headers();
		header( 'X-Robots-Tag: noindex, nofollow' );
		header( 'Referrer-Policy: no-referrer' );
		header( 'Permissions-Policy: camera=(self), microphone=(self), display-capture=(self), fullscreen=(self), picture-in-picture=(self)' );
		if ( null === $room ) {
			status_header( 404 );
		}
		// Rendered before wp_head(), so the block's scripts are enqueued in time.
		$html = do_blocks( '<!-- wp:bookingx-video/meeting-room {"align":"full"} /-->' );
		?>
<!DOCTYPE html>
<html <?php language_attributes(); ?>>
<head>
	<meta charset="<?php bloginfo( 'charset' ); ?>">
	<meta name="viewport" content="width=device-width, initial-scale=1">
	<title><?php echo esc_html( __( 'Video consultation', 'bookingx-video-consultation' ) . ' – ' . get_bloginfo( 'name' ) ); ?></title>
		<?php wp_head(); ?>
</head>
<body class="bkx-video-room-page">
	<main id="bkx-video-room-main">
		<h1 class="screen-reader-text"><?php esc_html_e( 'Video consultation', 'bookingx-video-consultation' ); ?></h1>
		<?php echo $html; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- block markup rendered by do_blocks(). ?>
	</main>
		<?php wp_footer(); ?>
</body>
</html>
		<?php
		exit;
	}
}

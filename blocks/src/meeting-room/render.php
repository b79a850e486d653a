<?php
/**
 * Server render of the consultation room block: a wrapper naming the room from the page's link.
 *
 * Everything else comes from REST at view time (view.js asks for a room ticket): no password,
 * token or participant is printed, and a page holding the block can be cached.
 *
 * @package BookingX\Addons\VideoConsultation
 *
 * @var array    $attributes Block attributes (none).
 * @var string   $content    Inner content (none).
 * @var WP_Block $block      Block instance.
 */

defined( 'ABSPATH' ) || exit;

// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a public link naming a room; access is checked by the ticket request.
$bkx_video_room = isset( $_GET['bkx_video_room'] ) ? sanitize_text_field( wp_unslash( $_GET['bkx_video_room'] ) ) : '';
if ( ! preg_match( '/^r_[a-z0-9]{20}$/', $bkx_video_room ) ) {
	$bkx_video_room = '';
}

$bkx_video_wrapper = get_block_wrapper_attributes(
	array(
		'data-room'  => $bkx_video_room,
		'data-state' => $bkx_video_room ? 'loading' : 'no-room',
		'aria-busy'  => $bkx_video_room ? 'true' : 'false',
	)
);
?>
<div <?php echo $bkx_video_wrapper; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by get_block_wrapper_attributes(). ?>>
	<?php if ( $bkx_video_room ) : ?>
		<p class="bkx-video-room__status" role="status" aria-live="polite"><?php esc_html_e( 'Preparing your consultation room…', 'bookingx-video-consultation' ); ?></p>
		<noscript><p><?php esc_html_e( 'Please enable JavaScript to join your consultation.', 'bookingx-video-consultation' ); ?></p></noscript>
	<?php else : ?>
		<p class="bkx-video-room__status"><?php esc_html_e( 'Open this page with the Join button of your consultation, or the link in your invitation.', 'bookingx-video-consultation' ); ?></p>
	<?php endif; ?>
</div>

<?php
/**
 * Server render of the Join button block: a wrapper and an accessible loading skeleton.
 *
 * The consultation (and, on click, its join URL) comes from REST at view time in view.js, so
 * nothing here depends on the visitor: no join URL, password or access token is ever printed,
 * and the page can be cached.
 *
 * @package BookingX\Addons\VideoConsultation
 *
 * @var array    $attributes Block attributes (editor choices only).
 * @var string   $content    Inner content (none).
 * @var WP_Block $block      Block instance.
 */

defined( 'ABSPATH' ) || exit;

$bkx_video_label = isset( $attributes['buttonLabel'] ) && is_string( $attributes['buttonLabel'] ) ? $attributes['buttonLabel'] : '';

// get_block_wrapper_attributes() escapes every value with esc_attr().
$bkx_video_wrapper = get_block_wrapper_attributes(
	array(
		'data-button-label'   => sanitize_text_field( $bkx_video_label ),
		'data-show-countdown' => ( ! isset( $attributes['showCountdown'] ) || $attributes['showCountdown'] ) ? '1' : '0',
		'data-show-details'   => ( ! isset( $attributes['showDetails'] ) || $attributes['showDetails'] ) ? '1' : '0',
		'data-login-url'      => wp_login_url( (string) get_permalink() ),
		'data-state'          => 'loading',
		'aria-busy'           => 'true',
	)
);
?>
<div <?php echo $bkx_video_wrapper; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by get_block_wrapper_attributes(). ?>>
	<p class="bkx-video-join__status" role="status" aria-live="polite"><?php esc_html_e( 'Loading your consultation…', 'bookingx-video-consultation' ); ?></p>
	<noscript><p><?php esc_html_e( 'Please enable JavaScript to join your consultation.', 'bookingx-video-consultation' ); ?></p></noscript>
</div>

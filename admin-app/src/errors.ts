/**
 * Error code → translated message. Unknown codes fall back to the server's own message.
 */
import { __ } from '@wordpress/i18n';

export function getErrorMessage( error: {
	code?: string;
	message?: string;
} ): string {
	switch ( error.code ) {
		case 'invalid_request':
			return __(
				'Some settings are missing or invalid. Fix the highlighted fields and save again.',
				'bookingx-video-consultation'
			);
		case 'unauthenticated':
			return __(
				'Your session has expired. Reload the page and log in again.',
				'bookingx-video-consultation'
			);
		case 'identity_rejected':
			return __(
				'WordPress and the video consultation service do not trust each other: BKX_VIDEO_SIDECAR_SECRET must be the same in wp-config.php and in the sidecar, and both clocks must be right.',
				'bookingx-video-consultation'
			);
		case 'forbidden':
		case 'rest_forbidden':
			return __(
				'You are not allowed to change these settings.',
				'bookingx-video-consultation'
			);
		case 'rest_cookie_invalid_nonce':
			return __(
				'Your session has expired. Reload the page and try again.',
				'bookingx-video-consultation'
			);
		case 'conflict':
			return __(
				'These settings were changed by someone else. Reload the page and try again.',
				'bookingx-video-consultation'
			);
		case 'payload_too_large':
			return __(
				'The settings are too large to save. Shorten the longest texts and try again.',
				'bookingx-video-consultation'
			);
		case 'not_found':
			return __(
				'The requested item does not exist.',
				'bookingx-video-consultation'
			);
		case 'rate_limited':
			return __(
				'Too many requests. Please wait a moment and try again.',
				'bookingx-video-consultation'
			);
		case 'platform_unavailable':
			return __(
				'Video platform is temporarily unavailable. Please try again.',
				'bookingx-video-consultation'
			);
		case 'sidecar_unavailable':
			return __(
				'The video consultation service (sidecar) is not reachable.',
				'bookingx-video-consultation'
			);
		case 'internal_error':
			return __(
				'Something went wrong on our side. Please try again.',
				'bookingx-video-consultation'
			);
		case 'fetch_error':
			return __(
				'Could not reach the server. Check your connection and try again.',
				'bookingx-video-consultation'
			);
		case 'invalid_json':
			return __(
				'The server sent an unexpected answer. Please try again.',
				'bookingx-video-consultation'
			);
		case 'oauth_state_invalid':
			return __(
				'This Google sign-in is not valid any more (it was used, expired or started by another administrator). Click “Connect Google account” again.',
				'bookingx-video-consultation'
			);
		case 'oauth_code_rejected':
			return __(
				'Google did not accept the sign-in. Check the Google client ID, client secret and redirect URI, then click “Connect Google account” again.',
				'bookingx-video-consultation'
			);
		case 'rest_no_route':
			return __(
				'The video consultation REST routes are missing. Is the plugin active?',
				'bookingx-video-consultation'
			);
		default:
			return (
				error.message ||
				__(
					'Something went wrong. Please try again.',
					'bookingx-video-consultation'
				)
			);
	}
}

/**
 * What the administrator can do about an error, when there is something to do.
 * @param error
 * @param error.code
 */
export function getErrorFix( error: { code?: string } ): string | null {
	if ( error.code === 'sidecar_unavailable' ) {
		return __(
			'Start the sidecar service and check BKX_VIDEO_SIDECAR_URL and BKX_VIDEO_SIDECAR_SECRET in wp-config.php.',
			'bookingx-video-consultation'
		);
	}
	return null;
}

/**
 * User-facing text for every code the room can meet: room `error` codes (contracts
 * ROOM_ERROR_MESSAGES, same English), REST refusals of the ticket, and the client's own
 * (capture, browser, connection). Literal strings, so they reach the translation files.
 */

/**
 * Internal dependencies
 */
import type { Translate } from '../i18n';
import type { RoomProblem } from '../types';

/**
 * The translated text for a code, or null when this UI does not know it.
 * @param code Error code.
 * @param __   Translator.
 */
export function knownMessage( code: string, __: Translate ): string | null {
	switch ( code ) {
		// Room errors (contracts/room.ts).
		case 'room_token_invalid':
			return __(
				'This room link has expired. Please click Join again.',
				'bookingx-video-consultation'
			);
		case 'room_password_wrong':
			return __(
				'The meeting password is not right. Please check your invitation.',
				'bookingx-video-consultation'
			);
		case 'room_denied':
			return __(
				'The host did not let you in to this consultation.',
				'bookingx-video-consultation'
			);
		case 'room_full':
			return __(
				'This consultation is full.',
				'bookingx-video-consultation'
			);
		case 'room_replaced':
			return __(
				'You joined this consultation from another window or device.',
				'bookingx-video-consultation'
			);
		case 'rate_limited':
			return __(
				'Too many messages. Please slow down.',
				'bookingx-video-consultation'
			);
		case 'sfu_unavailable':
			return __(
				'The video server is not reachable right now. Please try again in a moment.',
				'bookingx-video-consultation'
			);
		case 'invalid_message':
			return __(
				'The room received a message it does not understand.',
				'bookingx-video-consultation'
			);
		case 'forbidden':
			return __(
				'Only the host can do that.',
				'bookingx-video-consultation'
			);
		case 'meeting_ended':
			return __(
				'This meeting has ended.',
				'bookingx-video-consultation'
			);
		case 'room_refused':
			return __(
				'The consultation room did not let you in. Please try again.',
				'bookingx-video-consultation'
			);
		// Capture and browser (spec §10 for the first three).
		case 'camera_denied':
			return __(
				'Please allow camera access to join the video consultation.',
				'bookingx-video-consultation'
			);
		case 'microphone_denied':
			return __(
				'Please allow microphone access to join the consultation.',
				'bookingx-video-consultation'
			);
		case 'browser_unsupported':
			return __(
				'Your browser is not supported. Please use Chrome, Firefox, or Safari.',
				'bookingx-video-consultation'
			);
		case 'camera_unavailable':
			return __(
				'Your camera could not be started. Check that it is connected and not used by another application.',
				'bookingx-video-consultation'
			);
		case 'microphone_unavailable':
			return __(
				'Your microphone could not be started. Check that it is connected and not used by another application.',
				'bookingx-video-consultation'
			);
		case 'insecure_context':
			return __(
				'This page must be opened over a secure (https) connection to use your camera and microphone.',
				'bookingx-video-consultation'
			);
		case 'screen_share_failed':
			return __(
				'Your screen could not be shared.',
				'bookingx-video-consultation'
			);
		case 'connection_lost':
			return __(
				'The connection to the consultation was lost.',
				'bookingx-video-consultation'
			);
		// Ticket refusals (REST).
		case 'unauthenticated':
			return __(
				'Please log in to join this consultation.',
				'bookingx-video-consultation'
			);
		case 'meeting_not_found':
		case 'not_found':
			return __(
				'Meeting not found. Please contact support.',
				'bookingx-video-consultation'
			);
		case 'meeting_not_open':
			return __(
				'This consultation is not open yet.',
				'bookingx-video-consultation'
			);
		case 'meeting_cancelled':
			return __(
				'This consultation was cancelled.',
				'bookingx-video-consultation'
			);
		case 'link_expired':
			return __(
				'This consultation link is not valid any more. Please use the link in your latest invitation.',
				'bookingx-video-consultation'
			);
		case 'platform_unavailable':
		case 'sidecar_unavailable':
			return __(
				'The video consultation service is not reachable right now. Please try again in a minute.',
				'bookingx-video-consultation'
			);
		case 'fetch_error':
			return __(
				'Could not reach the site. Please check your connection and try again.',
				'bookingx-video-consultation'
			);
		// `ended` reasons.
		case 'host_ended':
			return __(
				'The host ended the consultation.',
				'bookingx-video-consultation'
			);
		case 'host_left':
			return __(
				'The host left, so the consultation has ended.',
				'bookingx-video-consultation'
			);
		case 'closed':
			return __(
				'The consultation has ended.',
				'bookingx-video-consultation'
			);
		default:
			return null;
	}
}

/**
 * Text for a problem: ours by code, else the server's message, else a generic sentence.
 * @param problem The problem.
 * @param __      Translator.
 */
export function problemMessage( problem: RoomProblem, __: Translate ): string {
	return (
		knownMessage( problem.code, __ ) ??
		( problem.message ||
			__(
				'Something went wrong on our side. Please try again.',
				'bookingx-video-consultation'
			) )
	);
}

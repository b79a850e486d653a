/**
 * Error codes shared by the sidecar, the plugin and every client.
 *
 * The sidecar throws `AppError(code)`; the HTTP status always comes from {@link ERROR_STATUS},
 * never ad hoc. The wire shape is WordPress's `WP_Error` JSON so PHP and apiFetch pass it through.
 */
import { z } from 'zod';

export const ErrorCodeSchema = z.enum( [
	'invalid_request',
	'unauthenticated',
	'identity_rejected',
	'forbidden',
	'not_found',
	'payload_too_large',
	'file_type_not_allowed',
	'meeting_not_found',
	'no_upcoming_consultation',
	'link_expired',
	'meeting_not_open',
	'meeting_cancelled',
	'conflict',
	'meeting_ended',
	'oauth_state_invalid',
	'oauth_code_rejected',
	'webhook_signature_invalid',
	'rate_limited',
	'platform_unavailable',
	'recording_failed',
	'recording_not_ready',
	'recording_download_disabled',
	'camera_denied',
	'microphone_denied',
	'browser_unsupported',
	'sidecar_unavailable',
	'internal_error',
] );
export type ErrorCode = z.infer< typeof ErrorCodeSchema >;

/** HTTP status for each code. Client-only codes (raised by the room preflight) have none. */
export const ERROR_STATUS: Record< ErrorCode, number > = {
	invalid_request: 400,
	unauthenticated: 401,
	identity_rejected: 401,
	forbidden: 403,
	not_found: 404,
	payload_too_large: 413,
	file_type_not_allowed: 415,
	meeting_not_found: 404,
	no_upcoming_consultation: 404,
	link_expired: 404,
	meeting_not_open: 409,
	meeting_cancelled: 410,
	conflict: 409,
	meeting_ended: 410,
	oauth_state_invalid: 400,
	oauth_code_rejected: 400,
	webhook_signature_invalid: 401,
	rate_limited: 429,
	platform_unavailable: 503,
	recording_failed: 502,
	recording_not_ready: 409,
	recording_download_disabled: 403,
	camera_denied: 0,
	microphone_denied: 0,
	browser_unsupported: 0,
	sidecar_unavailable: 503,
	internal_error: 500,
};

/** Default English user-facing messages (spec §10 verbatim where the spec gives one). */
export const ERROR_MESSAGES: Record< ErrorCode, string > = {
	invalid_request: 'Some details are missing or invalid.',
	unauthenticated: 'Please log in to join this consultation.',
	identity_rejected:
		'The site could not confirm who you are to the video service. Please try again; if it keeps happening, the site administrator should check that BKX_VIDEO_SIDECAR_SECRET is the same in WordPress and in the sidecar, and that both clocks are right.',
	forbidden: "You don't have access to this consultation.",
	not_found: 'The requested item does not exist.',
	payload_too_large: 'The request is too large.',
	file_type_not_allowed:
		'This type of file cannot be shared here. You can share PDF, PNG, JPEG, GIF and WebP images, plain text and CSV, Word (.docx) and Excel (.xlsx) files.',
	meeting_not_found: 'Meeting not found. Please contact support.',
	no_upcoming_consultation: 'You have no upcoming video consultation.',
	link_expired: 'This consultation link is not valid any more. Please use the link in your latest invitation.',
	meeting_not_open: 'This consultation is not open yet.',
	meeting_cancelled: 'This consultation was cancelled.',
	conflict: 'This item was changed by someone else. Please reload and try again.',
	meeting_ended: 'This meeting has ended.',
	oauth_state_invalid: 'This Google sign-in is not valid any more. Please click Connect Google again.',
	oauth_code_rejected: 'Google did not accept the sign-in. Please click Connect Google again.',
	webhook_signature_invalid: 'The webhook signature could not be verified.',
	rate_limited: 'Too many requests. Please wait a moment and try again.',
	platform_unavailable: 'Video platform is temporarily unavailable. Please try again.',
	recording_failed: 'Recording failed. Session data has been saved.',
	recording_not_ready: 'This recording is still being prepared. Please try again in a few minutes.',
	recording_download_disabled: 'Downloading recordings is turned off on this site. You can still watch it here.',
	camera_denied: 'Please allow camera access to join the video consultation.',
	microphone_denied: 'Please allow microphone access to join the consultation.',
	browser_unsupported: 'Your browser is not supported. Please use Chrome, Firefox, or Safari.',
	sidecar_unavailable:
		'The video consultation service is not reachable right now. Please try again in a minute.',
	internal_error: 'Something went wrong on our side. Please try again.',
};

/** Per-field problems: field path (dot-joined) → message. */
export const FieldErrorsSchema = z.record( z.string(), z.string() );
export type FieldErrors = z.infer< typeof FieldErrorsSchema >;

/** WordPress `WP_Error` JSON, as both the sidecar and the plugin answer errors. */
export const WpErrorSchema = z.object( {
	code: z.string(),
	message: z.string(),
	data: z
		.object( {
			status: z.number().int(),
			details: FieldErrorsSchema.optional(),
			request_id: z.string().optional(),
			opens_at: z.string().optional(),
			retry_after: z.number().optional(),
		} )
		.passthrough()
		.optional(),
} );
export type WpError = z.infer< typeof WpErrorSchema >;

/** Turns zod issues into `{ 'a.b': 'message' }` for `data.details`. */
export function fieldErrorsFromIssues(
	issues: ReadonlyArray< {
		path: ReadonlyArray< PropertyKey >;
		message: string;
		code?: string;
		keys?: ReadonlyArray< string >;
	} >
): FieldErrors {
	const out: FieldErrors = {};
	for ( const issue of issues ) {
		const prefix = issue.path.map( String ).join( '.' );
		// An unknown key is reported on the key itself, so a typo points at the field.
		if ( issue.code === 'unrecognized_keys' && issue.keys ) {
			for ( const k of issue.keys ) {
				out[ prefix ? `${ prefix }.${ k }` : k ] ??= 'This setting does not exist.';
			}
			continue;
		}
		out[ prefix || '_' ] ??= issue.message;
	}
	return out;
}

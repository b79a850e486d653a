/**
 * Zoom payloads we read. @link shared/reference/platform-contracts.md §1
 */
import { z } from 'zod';

/** §1.1: S2S OAuth token; `scope` must be a string (Zoom's SDK rejects anything else). */
export const ZoomTokenSchema = z.object( {
	access_token: z.string().min( 1 ),
	token_type: z.string(),
	expires_in: z.number().int().positive(),
	scope: z.string(),
} );

/** §1.3/§1.4: the meeting object. `id` is an int64 number (quirk: a string in webhooks). */
export const ZoomMeetingSchema = z.object( {
	id: z.union( [ z.number(), z.string() ] ).transform( ( v ) => String( v ) ),
	uuid: z.string().optional(),
	topic: z.string().optional(),
	agenda: z.string().optional(),
	start_time: z.string().optional(),
	duration: z.number().optional(),
	join_url: z.string(),
	start_url: z.string().optional(),
	password: z.string().optional(),
	// Only the dial-in numbers are read; the two dozen other settings are left out of the parse.
	settings: z
		.object( {
			global_dial_in_numbers: z
				.array( z.object( { country: z.string().optional(), city: z.string().optional(), number: z.string(), type: z.string().optional() } ) )
				.optional(),
		} )
		.optional(),
} );
export type ZoomMeeting = z.infer< typeof ZoomMeetingSchema >;

/** `GET /users/{userId}/meetings` (used to find a meeting whose create response was lost). */
export const ZoomMeetingListSchema = z.object( {
	next_page_token: z.string().optional(),
	meetings: z.array( z.object( { id: z.union( [ z.number(), z.string() ] ).transform( ( v ) => String( v ) ), agenda: z.string().optional(), topic: z.string().optional() } ) ),
} );

/** §1.2: error body. */
export const ZoomErrorSchema = z.object( { code: z.number().optional(), message: z.string().optional(), reason: z.string().optional(), error: z.string().optional() } ).passthrough();

/**
 * §1.5 / §1.6: one file of a cloud recording. CC, TB and TIMELINE entries lack `id`, `status`,
 * `file_size`, `recording_type` and `play_url`.
 */
export const ZoomRecordingFileSchema = z
	.object( {
		id: z.string().optional(),
		meeting_id: z.string().optional(),
		recording_start: z.string().optional(),
		recording_end: z.string().optional(),
		file_type: z.string(),
		file_extension: z.string().optional(),
		file_size: z.number().optional(),
		download_url: z.string().optional(),
		status: z.string().optional(),
		recording_type: z.string().optional(),
	} )
	.loose();

/** §1.5 `GET /meetings/{id}/recordings` and the `recording.*` webhook object (where `id` is a number). */
export const ZoomRecordingSchema = z
	.object( {
		id: z.union( [ z.number(), z.string() ] ).transform( ( v ) => String( v ) ),
		uuid: z.string(),
		download_access_token: z.string().optional(),
		recording_files: z.array( ZoomRecordingFileSchema ),
	} )
	.loose();

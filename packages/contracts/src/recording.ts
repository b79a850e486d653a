/**
 * Recordings as viewers see them, and the signed links that play or download them. A view never
 * carries a platform URL, a password or a storage path: the bytes come from the sidecar's
 * `/media/recordings/...` through a short-lived signed link (POST /recordings/{id}/link).
 */
import { z } from 'zod';

import { AccessTokenQuerySchema } from './consultation';

const isoUtc = z.iso.datetime();

export const RecordingStatusSchema = z.enum( [ 'downloading', 'processing', 'available', 'failed' ] );
export type RecordingStatus = z.infer< typeof RecordingStatusSchema >;

export const RecordingViewSchema = z.object( {
	id: z.number().int().positive(),
	consultation_id: z.number().int().positive(),
	status: RecordingStatusSchema,
	/** `recording_failed` with the spec's message when processing failed; the session data stays. */
	error: z.object( { code: z.literal( 'recording_failed' ), message: z.string() } ).nullable(),
	mime_type: z.string().nullable(),
	duration_seconds: z.number().int().nullable(),
	file_size: z.number().int().nullable(),
	has_poster: z.boolean(),
	has_transcript: z.boolean(),
	scheduled_start: isoUtc,
	customer_name: z.string().nullable(),
	created_at: isoUtc,
	/** When retention deletes it. */
	expires_at: isoUtc.nullable(),
	download_count: z.number().int(),
	shared_with_customer: z.boolean(),
	/** What the viewer may do with it. */
	can_download: z.boolean(),
	can_manage: z.boolean(),
} );
export type RecordingView = z.infer< typeof RecordingViewSchema >;

export const RecordingListSchema = z.object( { recordings: z.array( RecordingViewSchema ) } );
export type RecordingList = z.infer< typeof RecordingListSchema >;

export const RecordingListQuerySchema = z
	.object( {
		consultation_id: z.coerce.number().int().positive().optional(),
		search: z.string().trim().min( 1 ).max( 200 ).optional(),
		bkx_vc: AccessTokenQuerySchema.shape.bkx_vc,
		/**
		 * Admins and PHP's system identity only: every recording (any status) of the consultations
		 * booked with this e-mail address, as WordPress's personal data exporter needs them.
		 */
		customer_email: z.email().optional(),
	} )
	.strict();

export const RecordingIdParamsSchema = z.object( { id: z.coerce.number().int().positive() } );
/** The guest's access token on single-recording calls. */
export const RecordingAccessQuerySchema = AccessTokenQuerySchema.strict();

export const RecordingFileKindSchema = z.enum( [ 'video', 'poster', 'transcript' ] );
export type RecordingFileKind = z.infer< typeof RecordingFileKindSchema >;

/** POST /recordings/{id}/link */
export const RecordingLinkRequestSchema = z
	.object( {
		kind: RecordingFileKindSchema.default( 'video' ),
		/** A download (Content-Disposition: attachment, counted) rather than playback. */
		download: z.boolean().default( false ),
	} )
	.strict();
export type RecordingLinkRequest = z.input< typeof RecordingLinkRequestSchema >;

export const RecordingLinkSchema = z.object( { url: z.url(), expires_at: isoUtc } );
export type RecordingLink = z.infer< typeof RecordingLinkSchema >;

/** PUT /recordings/{id}: the host shares a recording with the customer (or stops sharing). */
export const RecordingUpdateSchema = z.object( { shared_with_customer: z.boolean() } ).strict();

/** POST /recordings/erase: a customer's deletion request (WordPress's personal data eraser). */
export const RecordingEraseRequestSchema = z.object( { email: z.email() } ).strict();
export const RecordingEraseResultSchema = z.object( { deleted: z.number().int() } );

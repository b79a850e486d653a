/**
 * The provider's session notes (spec §5 `bkx_video_session_notes`, §2 "During consultation"):
 * one text per consultation and author, written from the room's Notes panel with autosave.
 *
 * Saves are optimistic: each carries the `version` it was based on; when another tab saved in
 * between, the sidecar answers 409 `conflict` with the stored notes in `data.current`, so the UI
 * can show both texts instead of silently dropping one.
 */
import { z } from 'zod';

// NOTES_MAX_LENGTH (room-constants.ts, exported with the room's constants): a larger save is 413.
const isoUtc = z.iso.datetime();

export const SessionNotesSchema = z.object( {
	consultation_id: z.number().int().positive(),
	notes: z.string(),
	/** 0 before the first save; each save adds one. */
	version: z.number().int().min( 0 ),
	/** Null before the first save. */
	updated_at: isoUtc.nullable(),
	/** Always false here: sharing notes with the customer is a later feature. */
	is_shared_with_customer: z.boolean(),
} );
export type SessionNotes = z.infer< typeof SessionNotesSchema >;

/** PUT /consultations/{id}/notes. */
export const SaveSessionNotesBodySchema = z
	.object( {
		notes: z.string(),
		/** The `version` the text was based on (0 for the first save). */
		base_version: z.number().int().min( 0 ),
	} )
	.strict();
export type SaveSessionNotesBody = z.infer< typeof SaveSessionNotesBodySchema >;

/** `data` of the 409 `conflict` a stale save gets: what is stored now. */
export const NotesConflictDataSchema = z.object( { current: SessionNotesSchema } );
export type NotesConflictData = z.infer< typeof NotesConflictDataSchema >;

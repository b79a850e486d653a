/**
 * Files shared in the built-in room (issue 6): a participant who is in the room (host or admitted
 * customer) uploads the bytes straight to the sidecar that holds the room
 * (`POST {sidecar}/rooms/{room}/files`, the room token as bearer, `X-File-Name` percent-encoded);
 * the sidecar checks the size against `max_upload_size` and the type by content, stores the file
 * encrypted with the consultation, and tells the room (`file-shared`, contracts/room.ts). A download
 * goes through a short-lived signed link (`POST …/files/{id}/link`), served by the sidecar.
 */
import { z } from 'zod';

import { ROOM_FILE_TYPES } from './room-constants';

const isoUtc = z.iso.datetime();

export const RoomFileMimeSchema = z.enum( ROOM_FILE_TYPES );
export type RoomFileMime = z.infer< typeof RoomFileMimeSchema >;

/** A stored room file as participants see it (the upload's answer). */
export const RoomFileSchema = z.object( {
	id: z.number().int().positive(),
	/** The name as uploaded, cleaned (no path, no control characters, at most 255 characters). */
	name: z.string(),
	/** Bytes. */
	size: z.number().int().min( 0 ),
	/** Detected from the content (never the browser's declared type). */
	mime: RoomFileMimeSchema,
	created_at: isoUtc,
} );
export type RoomFile = z.infer< typeof RoomFileSchema >;

/** What POST …/files/{id}/link answers: a download link that works for a few minutes. */
export const RoomFileLinkSchema = z.object( {
	/** Absolute path on the sidecar (`/rooms/{room}/files/{id}?exp=…&sig=…`); resolve it against the upload URL. */
	url: z.string(),
	expires_at: isoUtc,
} );
export type RoomFileLink = z.infer< typeof RoomFileLinkSchema >;

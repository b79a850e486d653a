/**
 * Recordings made in the built-in room (issue 6): the host's browser records the room with
 * MediaRecorder once everyone has consented (contracts/room.ts, `recording-*`) and uploads it as it
 * goes, straight to the sidecar that holds the room (the bytes never pass through PHP, like the
 * media links):
 *
 * 1. `POST {sidecar}/rooms/{room}/recordings` (the room token as bearer, body {@link RoomRecordingOpen})
 *    → {@link RoomRecordingUpload}: a recording row (`downloading`) and an upload token of its own.
 * 2. `PUT …/recordings/{id}/chunks/{n}` (upload token, raw bytes): chunk n, 0-based, in any order;
 *    the same chunk again replaces it (a retry is harmless) → {@link RoomRecordingChunk}.
 * 3. `POST …/recordings/{id}/finish` ({@link RoomRecordingFinish}) → the chunks joined in order, the
 *    usual pipeline (MP4 H.264/AAC, poster, encrypted store, `available`) → {@link RoomRecordingFinished}.
 *
 * `{sidecar}` is the ticket's `signaling_url` without `/signal` (http instead of ws).
 */
import { z } from 'zod';

import { RecordingStatusSchema } from './recording';
import { RecordingTakeSchema } from './room';

/** Bounds the sidecar enforces (413 `payload_too_large`, 429 `rate_limited`). */
export const ROOM_RECORDING_LIMITS = {
	/** One chunk (a 2 s slice at the recorder's bit rate is about 0.5 MB). */
	chunkMaxBytes: 8 * 1024 * 1024,
	/** One recording, all chunks. */
	maxBytes: 2 * 1024 * 1024 * 1024,
	/** Longest recording: the upload token lasts this long (plus a margin to finish). */
	maxSeconds: 4 * 3600,
	/** Highest chunk count (4 h in 1 s slices). */
	maxChunks: 14_400,
	/** Chunk uploads per second per recording, sustained, and the burst above (retries after a drop). */
	chunksPerSecond: 4,
	burst: 40,
} as const;

export const RoomRecordingOpenSchema = z.object( {
	take: RecordingTakeSchema,
	/** What MediaRecorder reports (`recorder.mimeType`). */
	mime_type: z.string().max( 100 ).regex( /^(video|audio)\/(webm|mp4|x-matroska)(;.*)?$/, 'is not a recording type' ),
} );
export type RoomRecordingOpen = z.infer< typeof RoomRecordingOpenSchema >;

export const RoomRecordingUploadSchema = z.object( {
	recording_id: z.number().int().positive(),
	/** Bearer token for the chunks and the finish of this recording only. */
	upload_token: z.string(),
	expires_at: z.iso.datetime(),
	chunk_max_bytes: z.number().int().positive(),
	max_bytes: z.number().int().positive(),
	max_seconds: z.number().int().positive(),
} );
export type RoomRecordingUpload = z.infer< typeof RoomRecordingUploadSchema >;

export const RoomRecordingChunkSchema = z.object( {
	chunk: z.number().int().min( 0 ),
	/** Chunks held so far, and their bytes. */
	received: z.number().int().min( 0 ),
	bytes: z.number().int().min( 0 ),
} );
export type RoomRecordingChunk = z.infer< typeof RoomRecordingChunkSchema >;

export const RoomRecordingFinishSchema = z.object( {
	/** How many chunks the recorder made (0…chunks-1 must all have arrived). */
	chunks: z.number().int().min( 1 ).max( ROOM_RECORDING_LIMITS.maxChunks ),
} );
export type RoomRecordingFinish = z.infer< typeof RoomRecordingFinishSchema >;

export const RoomRecordingFinishedSchema = z.object( {
	recording_id: z.number().int().positive(),
	status: RecordingStatusSchema,
} );
export type RoomRecordingFinished = z.infer< typeof RoomRecordingFinishedSchema >;

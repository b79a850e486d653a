/**
 * Numbers of the room protocol (contracts/room.ts) without zod, so the browser's room bundle can
 * import them without the schema library.
 */

/** Longest chat message, characters. */
export const CHAT_MAX_LENGTH = 2000;

/** Points in one whiteboard stroke message (a longer stroke is sent in parts). */
export const BOARD_MAX_POINTS = 256;

/** Whiteboard operations a room keeps for newcomers (since the last clear). */
export const BOARD_HISTORY = 5000;

/** WebSocket close codes the sidecar uses (4000–4999 are the application's). */
export const ROOM_CLOSE = {
	/** Refused: see the `error` message sent before. Do not reconnect. */
	refused: 4001,
	/** The room ended. Do not reconnect. */
	ended: 4002,
	/** Another tab of the same person took over. Do not reconnect. */
	replaced: 4003,
	/** Too many messages or malformed ones. */
	abuse: 4008,
} as const;

/** Limits the sidecar enforces per connection (the client stays well under them). */
export const ROOM_LIMITS = {
	/** Largest message, bytes (an SDP with several tracks is 5–15 KB). */
	maxMessageBytes: 64 * 1024,
	/** Messages per second, sustained, and the burst above it. */
	messagesPerSecond: 40,
	burst: 200,
	/** Chat messages per 10 seconds. */
	chatPer10s: 10,
	/** How long a dropped peer keeps its place (and its id) for a reconnect. */
	resumeGraceSeconds: 30,
} as const;

/**
 * Types a file shared in the room may have, detected from its content (magic bytes; Office files
 * by their `[Content_Types].xml`). The browser's declared type and the name's extension are not trusted.
 */
export const ROOM_FILE_TYPES = [
	'application/pdf',
	'image/png',
	'image/jpeg',
	'image/gif',
	'image/webp',
	'text/plain',
	'text/csv',
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
] as const;

/** Longest session notes text, characters (contracts/notes.ts; a larger save is refused with 413, nothing written). */
export const NOTES_MAX_LENGTH = 100_000;

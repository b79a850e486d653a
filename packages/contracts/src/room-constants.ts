/**
 * Numbers of the room protocol (contracts/room.ts) without zod, so the browser's room bundle can
 * import them without the schema library.
 */

/** Longest chat message, characters. */
export const CHAT_MAX_LENGTH = 2000;

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

/**
 * When the signaling socket drops: how long to wait before each new try, and which closes and
 * REST refusals end the room instead.
 */

/**
 * Internal dependencies
 */
import { ROOM_CLOSE } from '@bkx-video/contracts/room-constants';

export const RECONNECT = {
	/** Wait before the first try; it doubles each try. */
	firstDelayMs: 500,
	maxDelayMs: 8_000,
	/** Tries before "connection lost" and a Retry button (about 95 s in all). */
	maxAttempts: 15,
} as const;

/**
 * Wait before try `attempt` (0-based): 0.5 s, 1 s, 2 s, 4 s, then 8 s each.
 * @param attempt Tries already made since the socket dropped.
 */
export function backoffDelay( attempt: number ): number {
	const exponent = Math.min( Math.max( 0, Math.floor( attempt ) ), 16 );
	return Math.min(
		RECONNECT.firstDelayMs * 2 ** exponent,
		RECONNECT.maxDelayMs
	);
}

/**
 * Every wait of one reconnection run, in order.
 * @param attempts How many tries.
 */
export function backoffSchedule(
	attempts: number = RECONNECT.maxAttempts
): number[] {
	return Array.from( { length: attempts }, ( _, i ) => backoffDelay( i ) );
}

/**
 * Whether a close code lets the client reconnect (ROOM_CLOSE: refused, ended and replaced do not).
 * @param code WebSocket close code.
 */
export function closeAllowsReconnect( code: number ): boolean {
	return (
		code !== ROOM_CLOSE.refused &&
		code !== ROOM_CLOSE.ended &&
		code !== ROOM_CLOSE.replaced
	);
}

/** REST answers after which asking for another ticket cannot help. */
const FINAL_TICKET_CODES = new Set( [
	'unauthenticated',
	'forbidden',
	'not_found',
	'meeting_not_found',
	'meeting_cancelled',
	'meeting_ended',
	'link_expired',
	'no_upcoming_consultation',
	'rest_forbidden',
] );

/**
 * Whether a failed ticket request is final (ended, cancelled, no access) rather than transient
 * (network down, sidecar restarting, rate limited).
 * @param code   The error's `code`.
 * @param status HTTP status when known.
 */
export function isFinalTicketError( code: string, status?: number ): boolean {
	return (
		FINAL_TICKET_CODES.has( code ) ||
		status === 401 ||
		status === 403 ||
		status === 404 ||
		status === 410
	);
}

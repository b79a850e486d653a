/**
 * The meeting timer: time since the first remote participant arrived, against the booked length.
 */

const pad = ( n: number ): string => String( n ).padStart( 2, '0' );

/**
 * `mm:ss` below an hour, `h:mm:ss` from an hour up; never negative.
 * @param ms Duration in milliseconds (rounded down to the second).
 */
export function formatDuration( ms: number ): string {
	const total = Math.max( 0, Math.floor( ms / 1000 ) );
	const h = Math.floor( total / 3600 );
	const m = Math.floor( ( total % 3600 ) / 60 );
	const s = total % 60;
	return h > 0
		? `${ h }:${ pad( m ) }:${ pad( s ) }`
		: `${ pad( m ) }:${ pad( s ) }`;
}

export interface TimerModel {
	/** Started: someone else has joined. Before that, only `scheduled` means anything. */
	started: boolean;
	elapsedMs: number;
	/** Booked length (`scheduled_end` − `scheduled_start`). */
	scheduledMs: number;
	/** Time past the booked length, 0 before. */
	overtimeMs: number;
	elapsed: string;
	scheduled: string;
	/** `+03:12` once over the booked length, else null. */
	overtime: string | null;
}

/**
 * What the timer shows at `nowMs`.
 * @param nowMs          Viewer clock.
 * @param startedAtMs    When the first remote peer joined (viewer clock), or null.
 * @param scheduledStart `room.scheduled_start` (ISO).
 * @param scheduledEnd   `room.scheduled_end` (ISO).
 */
export function timerModel(
	nowMs: number,
	startedAtMs: number | null,
	scheduledStart: string,
	scheduledEnd: string
): TimerModel {
	const booked = Date.parse( scheduledEnd ) - Date.parse( scheduledStart );
	const scheduledMs = Number.isFinite( booked ) ? Math.max( 0, booked ) : 0;
	const elapsedMs =
		startedAtMs === null ? 0 : Math.max( 0, nowMs - startedAtMs );
	// Whole seconds on both sides, so "+00:00 over" never shows for a fraction of a second.
	const overtimeMs =
		scheduledMs > 0
			? Math.max( 0, Math.floor( elapsedMs / 1000 ) * 1000 - scheduledMs )
			: 0;
	return {
		started: startedAtMs !== null,
		elapsedMs,
		scheduledMs,
		overtimeMs,
		elapsed: formatDuration( elapsedMs ),
		scheduled: formatDuration( scheduledMs ),
		overtime:
			overtimeMs >= 1000 ? `+${ formatDuration( overtimeMs ) }` : null,
	};
}

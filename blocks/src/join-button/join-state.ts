/**
 * The pure part of the Join button: what to show for a given state and instant.
 *
 * Shared by the front-end view (`view.ts`, plain DOM) and the editor preview (`edit.tsx`).
 * No DOM, no timers, no fetching here, so it is unit-tested directly.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type {
	ConsultationView,
	JoinState,
	PlatformId,
} from '@bkx-video/contracts';

/** Editor choices stored in the block's attributes. */
// A type alias (not an interface) so it satisfies the `Record<string, unknown>` block attributes constraint.
export type JoinButtonOptions = {
	buttonLabel: string;
	showCountdown: boolean;
	showDetails: boolean;
};

/** The parts of an `ApiError` the view needs. */
export interface JoinError {
	code: string;
	status: number;
	message: string;
}

/** Everything the view knows; `view.ts` owns one and replaces it on every event. */
export interface JoinUiState {
	phase: 'loading' | 'ready' | 'error';
	consultation?: ConsultationView;
	/** Server clock minus viewer clock, from `server_time` (see {@link clockSkew}). */
	skewMs: number;
	/** Why loading failed (`phase: 'error'`). */
	loadError?: JoinError;
	joining: boolean;
	/** The last join attempt's failure; the button stays usable. */
	joinError?: JoinError;
}

export interface Detail {
	term: string;
	description: string;
}

export type ModelKind = 'loading' | 'error' | JoinState;

/** What to render. Every field maps to one element of the block's markup. */
export interface JoinModel {
	kind: ModelKind;
	/** Text of the aria-live status region. */
	message: string;
	/** Error code shown (load or join failure), for `data-error-code`. */
	errorCode: string | null;
	/** "Opens in 04:59" (role=timer), or null when hidden. */
	countdown: string | null;
	details: Detail[] | null;
	button: { label: string; disabled: boolean; busy: boolean } | null;
	/** Log-in link for `unauthenticated`. */
	showLogin: boolean;
	/** Re-render after this many ms (countdown tick or the next state change); null: never. */
	nextTickMs: number | null;
}

export interface FormatOptions {
	/** BCP 47 tag; undefined = the browser's. */
	locale?: string | undefined;
	/** IANA zone; undefined = the viewer's (browser default). Tests pin it. */
	timeZone?: string | undefined;
}

/** Longest wait between two re-renders, so a sleeping tab catches up soon after it wakes. */
const MAX_TICK_MS = 30_000;

/**
 * Server clock minus viewer clock; add it to `Date.now()` to get the server's "now".
 * @param serverTimeIso `server_time` of the response.
 * @param receivedAtMs  Viewer clock (`Date.now()`) when the response arrived.
 */
export function clockSkew(
	serverTimeIso: string,
	receivedAtMs: number
): number {
	const server = Date.parse( serverTimeIso );
	return Number.isNaN( server ) ? 0 : server - receivedAtMs;
}

const pad = ( n: number ): string => String( n ).padStart( 2, '0' );

/**
 * `mm:ss` below an hour, `hh:mm:ss` from an hour up (hours keep counting past 24); never negative.
 * @param remainingMs Time left in milliseconds.
 */
export function formatCountdown( remainingMs: number ): string {
	const total = Math.max( 0, Math.ceil( remainingMs / 1000 ) );
	const h = Math.floor( total / 3600 );
	const m = Math.floor( ( total % 3600 ) / 60 );
	const s = total % 60;
	return h > 0
		? `${ pad( h ) }:${ pad( m ) }:${ pad( s ) }`
		: `${ pad( m ) }:${ pad( s ) }`;
}

/**
 * Date and time in the viewer's time zone, with its short name ("Tuesday, January 1, 2030 at 10:00 AM UTC").
 * @param iso     ISO 8601 instant.
 * @param options Locale and time zone; both default to the browser's.
 */
export function formatDateTime(
	iso: string,
	options: FormatOptions = {}
): string {
	const date = new Date( iso );
	if ( Number.isNaN( date.getTime() ) ) {
		return iso;
	}
	const fields: Intl.DateTimeFormatOptions = {
		weekday: 'long',
		year: 'numeric',
		month: 'long',
		day: 'numeric',
		hour: 'numeric',
		minute: '2-digit',
		// Not dateStyle/timeStyle: those cannot be combined with timeZoneName.
		timeZoneName: 'short',
		timeZone: options.timeZone,
	};
	try {
		return new Intl.DateTimeFormat( options.locale, fields ).format( date );
	} catch {
		// An unknown locale tag (e.g. a custom WordPress locale): fall back to the browser's.
		return new Intl.DateTimeFormat( undefined, fields ).format( date );
	}
}

export function platformLabel( platform: PlatformId | string ): string {
	switch ( platform ) {
		case 'zoom':
			return __( 'Zoom', 'bookingx-video-consultation' );
		case 'teams':
			return __( 'Microsoft Teams', 'bookingx-video-consultation' );
		case 'meet':
			return __( 'Google Meet', 'bookingx-video-consultation' );
		case 'jitsi':
			return __( 'Jitsi Meet', 'bookingx-video-consultation' );
		case 'webrtc':
			return __( 'Built-in video room', 'bookingx-video-consultation' );
		default:
			return platform;
	}
}

/**
 * Codes the view knows by name when the server sends a WordPress code instead (`rest_forbidden`…).
 * @param status HTTP status of the error.
 */
function codeFromStatus( status: number ): string | null {
	switch ( status ) {
		case 401:
			return 'unauthenticated';
		case 403:
			return 'forbidden';
		case 404:
			return 'meeting_not_found';
		case 410:
			return 'meeting_ended';
		case 429:
			return 'rate_limited';
		default:
			return null;
	}
}

/**
 * Message for a known code, or null. Literal strings so they reach the translation files.
 * @param code Error code.
 */
function knownMessage( code: string ): string | null {
	switch ( code ) {
		case 'unauthenticated':
			return __(
				'Please log in to join this consultation.',
				'bookingx-video-consultation'
			);
		case 'forbidden':
			return __(
				"You don't have access to this consultation.",
				'bookingx-video-consultation'
			);
		case 'meeting_not_found':
			return __(
				'Meeting not found. Please contact support.',
				'bookingx-video-consultation'
			);
		case 'meeting_cancelled':
			return __(
				'This consultation was cancelled.',
				'bookingx-video-consultation'
			);
		case 'no_upcoming_consultation':
			return __(
				'You have no upcoming video consultation.',
				'bookingx-video-consultation'
			);
		case 'link_expired':
			return __(
				'This consultation link is not valid any more. Please use the link in your latest invitation.',
				'bookingx-video-consultation'
			);
		case 'identity_rejected':
			return __(
				'The site could not confirm who you are to the video service. Please reload the page and try again.',
				'bookingx-video-consultation'
			);
		case 'meeting_not_open':
			return __(
				'This consultation is not open yet.',
				'bookingx-video-consultation'
			);
		case 'meeting_ended':
			return __(
				'This meeting has ended.',
				'bookingx-video-consultation'
			);
		case 'invalid_request':
			return __(
				'Some details are missing or invalid.',
				'bookingx-video-consultation'
			);
		case 'conflict':
			return __(
				'This item was changed by someone else. Please reload and try again.',
				'bookingx-video-consultation'
			);
		case 'rate_limited':
			return __(
				'Too many requests. Please wait a moment and try again.',
				'bookingx-video-consultation'
			);
		case 'platform_unavailable':
			return __(
				'Video platform is temporarily unavailable. Please try again.',
				'bookingx-video-consultation'
			);
		case 'sidecar_unavailable':
			return __(
				'The video consultation service is not reachable right now. Please try again in a minute.',
				'bookingx-video-consultation'
			);
		case 'internal_error':
		case 'invalid_response':
		case 'invalid_json':
			return __(
				'Something went wrong on our side. Please try again.',
				'bookingx-video-consultation'
			);
		case 'fetch_error':
			return __(
				'Could not reach the site. Please check your connection and try again.',
				'bookingx-video-consultation'
			);
		default:
			return null;
	}
}

/**
 * The code the view acts on: ours as is, WordPress's (`rest_forbidden` 401…) by status.
 * @param error The failure.
 */
export function effectiveCode( error: JoinError ): string {
	// The generic 404 of the sidecar means, on this block, that there is no meeting to show.
	if ( error.code === 'not_found' ) {
		return 'meeting_not_found';
	}
	if ( knownMessage( error.code ) !== null ) {
		return error.code;
	}
	return codeFromStatus( error.status ) ?? error.code;
}

/**
 * Translated message chosen by code, then the server's message, then a generic one.
 * @param error The failure.
 */
export function errorMessage( error: JoinError ): string {
	return (
		knownMessage( effectiveCode( error ) ) ??
		( error.message || knownMessage( 'internal_error' ) ) ??
		''
	);
}

/**
 * The join state at `serverNow`: the server's answer, moved forward as its windows pass.
 * @param consultation The server's view.
 * @param serverNowMs  Now on the server clock.
 */
export function stateAt(
	consultation: ConsultationView,
	serverNowMs: number
): JoinState {
	const { state } = consultation;
	if ( state !== 'too_early' && state !== 'open' ) {
		return state;
	}
	if ( serverNowMs >= Date.parse( consultation.join_closes_at ) ) {
		return 'ended';
	}
	if (
		state === 'too_early' &&
		serverNowMs >= Date.parse( consultation.join_opens_at )
	) {
		return 'open';
	}
	return state;
}

function detailsOf( c: ConsultationView, format: FormatOptions ): Detail[] {
	return [
		{
			term: __( 'Provider', 'bookingx-video-consultation' ),
			description: c.provider_name,
		},
		{
			term: __( 'Service', 'bookingx-video-consultation' ),
			description: c.service_name,
		},
		{
			term: __( 'Platform', 'bookingx-video-consultation' ),
			description: platformLabel( c.platform ),
		},
		{
			term: __( 'Starts', 'bookingx-video-consultation' ),
			description: formatDateTime( c.scheduled_start, format ),
		},
		{
			term: __( 'Ends', 'bookingx-video-consultation' ),
			description: formatDateTime( c.scheduled_end, format ),
		},
	];
}

function untilNextTick( remainingMs: number, everySecond: boolean ): number {
	const toNextSecond = remainingMs % 1000 || 1000;
	return Math.max(
		1,
		Math.min( everySecond ? toNextSecond : remainingMs, MAX_TICK_MS )
	);
}

export function defaultButtonLabel(): string {
	return __( 'Join consultation', 'bookingx-video-consultation' );
}

const empty = {
	errorCode: null,
	countdown: null,
	details: null,
	button: null,
	showLogin: false,
	nextTickMs: null,
} satisfies Partial< JoinModel >;

/**
 * The model of a state (or error code) after which nothing can be done here, or null.
 * @param stateOrCode A join state or an error code.
 */
function terminalModel( stateOrCode: string ): JoinModel | null {
	if ( stateOrCode === 'ended' || stateOrCode === 'meeting_ended' ) {
		return {
			...empty,
			kind: 'ended',
			message: __(
				'This meeting has ended.',
				'bookingx-video-consultation'
			),
		};
	}
	if ( stateOrCode === 'cancelled' || stateOrCode === 'meeting_cancelled' ) {
		return {
			...empty,
			kind: 'cancelled',
			message: __(
				'This consultation was cancelled.',
				'bookingx-video-consultation'
			),
		};
	}
	return null;
}

/**
 * What to render for `ui` at the viewer's `nowMs`.
 *
 * loading → the skeleton message; load error → the message by code (+ log-in link for
 * `unauthenticated`); `too_early` → details, "opens at", countdown, disabled button; `open` →
 * details and the enabled button (busy while joining; a join error shows its message and keeps the
 * button usable); `ended` / `cancelled` → their message only.
 * @param ui      What the view knows.
 * @param nowMs   Viewer clock (`Date.now()`).
 * @param options Editor choices.
 * @param format  Locale and time zone of dates.
 */
export function buildModel(
	ui: JoinUiState,
	nowMs: number,
	options: JoinButtonOptions,
	format: FormatOptions = {}
): JoinModel {
	if (
		ui.phase === 'loading' ||
		( ui.phase === 'ready' && ! ui.consultation )
	) {
		return {
			...empty,
			kind: 'loading',
			message: __(
				'Loading your consultation…',
				'bookingx-video-consultation'
			),
		};
	}
	if ( ui.phase === 'error' || ! ui.consultation ) {
		const error = ui.loadError ?? {
			code: 'internal_error',
			status: 0,
			message: '',
		};
		const code = effectiveCode( error );
		const terminal = terminalModel( code );
		if ( terminal ) {
			return terminal;
		}
		return {
			...empty,
			kind: 'error',
			message: errorMessage( error ),
			errorCode: code,
			showLogin: code === 'unauthenticated',
		};
	}

	const c = ui.consultation;
	const serverNow = nowMs + ui.skewMs;
	const joinErrorCode = ui.joinError ? effectiveCode( ui.joinError ) : null;
	const state = stateAt( c, serverNow );
	// A join error can also tell that the meeting ended or was cancelled meanwhile.
	const terminal =
		terminalModel( joinErrorCode ?? '' ) ?? terminalModel( state );
	if ( terminal ) {
		return terminal;
	}

	const details = options.showDetails ? detailsOf( c, format ) : null;
	const label = options.buttonLabel.trim() || defaultButtonLabel();

	if ( state === 'too_early' ) {
		const remaining = Date.parse( c.join_opens_at ) - serverNow;
		return {
			...empty,
			kind: 'too_early',
			message: ui.joinError
				? errorMessage( ui.joinError )
				: sprintf(
						/* translators: %s: date and time the consultation opens, in the viewer's time zone. */
						__(
							'Your consultation opens at %s',
							'bookingx-video-consultation'
						),
						formatDateTime( c.join_opens_at, format )
					),
			errorCode: joinErrorCode,
			countdown: options.showCountdown
				? sprintf(
						/* translators: %s: time left, as mm:ss or hh:mm:ss. */
						__( 'Opens in %s', 'bookingx-video-consultation' ),
						formatCountdown( remaining )
					)
				: null,
			details,
			button: { label, disabled: true, busy: false },
			nextTickMs: untilNextTick( remaining, options.showCountdown ),
		};
	}

	// open
	let message: string = __(
		'You can join your consultation now.',
		'bookingx-video-consultation'
	);
	if ( ui.joining ) {
		message = __(
			'Opening your consultation…',
			'bookingx-video-consultation'
		);
	} else if ( ui.joinError ) {
		message = errorMessage( ui.joinError );
	}
	return {
		...empty,
		kind: 'open',
		message,
		errorCode: ui.joining ? null : joinErrorCode,
		details,
		button: ui.joining
			? {
					label: __( 'Joining…', 'bookingx-video-consultation' ),
					disabled: false,
					busy: true,
				}
			: { label, disabled: false, busy: false },
		showLogin: ! ui.joining && joinErrorCode === 'unauthenticated',
		nextTickMs: untilNextTick(
			Date.parse( c.join_closes_at ) - serverNow,
			false
		),
	};
}

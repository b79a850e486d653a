/**
 * Screen 4: the consultation ended, the person left, or the room refused them.
 */

/**
 * Internal dependencies
 */
import type { UiContext, View } from './context';
import { button, el, uid } from './dom';
import { problemMessage } from './messages';

/** Refusals worth another try from the start (a fresh ticket, the preflight again). */
const RETRYABLE = new Set( [
	'room_full',
	'room_token_invalid',
	'room_refused',
	'rate_limited',
	'connection_lost',
	'fetch_error',
	'platform_unavailable',
	'sidecar_unavailable',
	'internal_error',
] );

/**
 * @param ctx UI context.
 */
export function endView( ctx: UiContext ): View {
	const { client, __ } = ctx;
	const root = el( 'section', 'screen end' );
	const heading = el( 'h2', 'heading' );
	heading.tabIndex = -1;
	root.setAttribute( 'aria-labelledby', ( heading.id = uid( 'heading' ) ) );
	const detail = el( 'p', 'detail' );
	root.append( heading, detail );

	const code = client.problem?.code ?? client.exitReason ?? 'closed';
	if ( client.phase === 'left' ) {
		heading.textContent = __(
			'You left the consultation.',
			'bookingx-video-consultation'
		);
		root.append(
			button(
				__( 'Rejoin', 'bookingx-video-consultation' ),
				'primary',
				() => void client.load()
			)
		);
	} else if ( client.phase === 'ended' ) {
		heading.textContent = __(
			'The consultation has ended.',
			'bookingx-video-consultation'
		);
		detail.textContent = problemMessage(
			{ code: client.exitReason ?? 'closed' },
			__
		);
	} else if ( client.phase === 'unavailable' ) {
		heading.textContent = __(
			'The consultation room could not be opened.',
			'bookingx-video-consultation'
		);
		detail.textContent = problemMessage(
			client.problem ?? { code: 'internal_error' },
			__
		);
		root.append(
			button(
				__( 'Try again', 'bookingx-video-consultation' ),
				'primary',
				() => void client.load()
			)
		);
	} else {
		heading.textContent = problemMessage( client.problem ?? { code }, __ );
		if ( RETRYABLE.has( code ) ) {
			root.append(
				button(
					__( 'Try again', 'bookingx-video-consultation' ),
					'primary',
					() => void client.load()
				)
			);
		}
	}
	detail.hidden =
		! detail.textContent || detail.textContent === heading.textContent;
	return { root, heading, update: () => undefined, destroy: () => undefined };
}

/**
 * The screen while the ticket loads.
 * @param ctx UI context.
 */
export function loadingView( ctx: UiContext ): View {
	const root = el( 'section', 'screen loading' );
	const heading = el(
		'h2',
		'heading',
		ctx.__(
			'Preparing your consultation room…',
			'bookingx-video-consultation'
		)
	);
	heading.tabIndex = -1;
	root.setAttribute( 'aria-busy', 'true' );
	root.append( heading );
	return { root, heading, update: () => undefined, destroy: () => undefined };
}

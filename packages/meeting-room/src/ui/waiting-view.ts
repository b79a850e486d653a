/**
 * Screen 2, the waiting room (customers, when the host admits people): whether the host is
 * there, the own preview, and Leave.
 */

/**
 * Internal dependencies
 */
import type { UiContext, View } from './context';
import { bindStream, button, el, uid, videoElement } from './dom';

/**
 * @param ctx UI context.
 */
export function waitingView( ctx: UiContext ): View {
	const { client, __ } = ctx;
	const root = el( 'section', 'screen waiting' );
	const heading = el(
		'h2',
		'heading',
		__(
			'Waiting for the host to let you in',
			'bookingx-video-consultation'
		)
	);
	heading.tabIndex = -1;
	root.setAttribute( 'aria-labelledby', ( heading.id = uid( 'heading' ) ) );
	const title = el( 'p', 'who', client.room?.title ?? '' );
	const host = el( 'p', 'status' );
	host.setAttribute( 'role', 'status' );
	host.setAttribute( 'aria-live', 'polite' );
	const reconnecting = el(
		'p',
		'status',
		__( 'Reconnecting…', 'bookingx-video-consultation' )
	);
	const preview = el( 'div', 'preview preview--small' );
	const video = videoElement( true );
	video.classList.add( 'bkx-room__mirror' );
	preview.append( video );
	const leave = button(
		__( 'Leave', 'bookingx-video-consultation' ),
		'danger',
		() => client.leave()
	);
	root.append( heading, title, host, reconnecting, preview, leave );

	const render = () => {
		const text = client.hostPresent
			? __(
					'The host is here and will let you in shortly.',
					'bookingx-video-consultation'
				)
			: __(
					'The host has not joined yet. Please stay on this page.',
					'bookingx-video-consultation'
				);
		if ( host.textContent !== text ) {
			host.textContent = text;
		}
		reconnecting.hidden = client.connection === 'open';
		const showVideo = !! client.local.cameraTrack && client.local.video;
		preview.hidden = ! showVideo;
		bindStream( video, showVideo ? client.local.stream : null );
	};
	render();
	return {
		root,
		heading,
		update: render,
		destroy: () => bindStream( video, null ),
	};
}

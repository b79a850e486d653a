/**
 * The participants panel: who is in, their microphone and camera, and for hosts the waiting
 * room with Admit and Deny.
 */

/**
 * Internal dependencies
 */
import { sprintf } from '../i18n';
import type { UiContext } from './context';
import { button, el, panelFrame } from './dom';

/**
 * @param ctx     UI context.
 * @param onClose Close button handler.
 */
export function peoplePanel(
	ctx: UiContext,
	onClose: () => void
): { root: HTMLElement; update: () => void; focus: () => void } {
	const { client, __ } = ctx;
	const { root, heading, head } = panelFrame(
		'people',
		__( 'People', 'bookingx-video-consultation' ),
		__( 'Close', 'bookingx-video-consultation' ),
		__( 'Close participant list', 'bookingx-video-consultation' ),
		onClose
	);

	const lobbySection = el( 'section', 'lobby' );
	const lobbyTitle = el( 'h4', 'subtitle' );
	const lobbyList = el( 'ul', 'list' );
	lobbySection.append( lobbyTitle, lobbyList );
	const inTitle = el(
		'h4',
		'subtitle',
		__( 'In the consultation', 'bookingx-video-consultation' )
	);
	const inList = el( 'ul', 'list' );
	root.append( head, lobbySection, inTitle, inList );

	const status = ( audio: boolean, video: boolean, screen: boolean ) =>
		[
			audio ? '' : __( 'microphone off', 'bookingx-video-consultation' ),
			video ? '' : __( 'camera off', 'bookingx-video-consultation' ),
			screen ? __( 'sharing screen', 'bookingx-video-consultation' ) : '',
		]
			.filter( Boolean )
			.join( ', ' );

	const person = ( name: string, detail: string ) => {
		const li = el( 'li', 'person' );
		li.append( el( 'span', 'name', name ) );
		if ( detail ) {
			li.append( el( 'span', 'meta', detail ) );
		}
		return li;
	};

	const update = () => {
		const lobby = client.isHost ? client.lobby : [];
		lobbySection.hidden = lobby.length === 0;
		lobbyTitle.textContent = sprintf(
			/* translators: %d: number of people in the waiting room. */
			__( 'Waiting to join: %d', 'bookingx-video-consultation' ),
			lobby.length
		);
		// Rebuilt only when the list changes, so focus on a button is not lost on other updates.
		const lobbyKey = lobby
			.map( ( w ) => `${ w.id }:${ w.name }` )
			.join( '|' );
		if ( lobbyList.dataset.key !== lobbyKey ) {
			const hadFocus = lobbyList.contains(
				root.ownerDocument.activeElement
			);
			lobbyList.dataset.key = lobbyKey;
			lobbyList.replaceChildren(
				...lobby.map( ( waiting ) => {
					const li = person( waiting.name, '' );
					const admit = button(
						__( 'Admit', 'bookingx-video-consultation' ),
						'primary small',
						() => client.admit( waiting.id )
					);
					admit.setAttribute(
						'aria-label',
						sprintf(
							/* translators: %s: name of the person waiting. */
							__( 'Admit %s', 'bookingx-video-consultation' ),
							waiting.name
						)
					);
					const deny = button(
						__( 'Deny', 'bookingx-video-consultation' ),
						'small',
						() => client.deny( waiting.id )
					);
					deny.setAttribute(
						'aria-label',
						sprintf(
							/* translators: %s: name of the person waiting. */
							__( 'Deny %s', 'bookingx-video-consultation' ),
							waiting.name
						)
					);
					li.append( admit, deny );
					return li;
				} )
			);
			if ( hadFocus ) {
				// The person just handled left the list: keep focus in the panel.
				( lobbyList.querySelector( 'button' ) ?? heading ).focus();
			}
		}

		const rows: HTMLElement[] = [];
		const self = client.self;
		if ( self ) {
			const { local } = client;
			const name = sprintf(
				/* translators: %s: own display name. */
				__( '%s (you)', 'bookingx-video-consultation' ),
				self.name
			);
			rows.push(
				person(
					client.isHost
						? sprintf(
								/* translators: %s: own name, already followed by "(you)". */
								__( '%s, host', 'bookingx-video-consultation' ),
								name
							)
						: name,
					status(
						local.audio && !! local.audioTrack,
						local.video && !! local.cameraTrack,
						!! local.screenTrack
					)
				)
			);
		}
		for ( const { info } of client.peers.values() ) {
			const name =
				info.name || __( 'Participant', 'bookingx-video-consultation' );
			rows.push(
				person(
					info.role === 'host'
						? sprintf(
								/* translators: %s: participant name. */
								__( '%s, host', 'bookingx-video-consultation' ),
								name
							)
						: name,
					status( info.audio, info.video, info.screen )
				)
			);
		}
		inList.replaceChildren( ...rows );
	};
	update();
	return { root, update, focus: () => heading.focus() };
}

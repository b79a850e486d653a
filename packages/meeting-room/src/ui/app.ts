/**
 * The room UI: one screen per client phase, a polite live region for what changes, and the exit
 * callback. Renders {@link RoomClient} state; every action goes through the client.
 */

/**
 * Internal dependencies
 */
import type { RoomClient } from '../client';
import type { Translate } from '../i18n';
import { sprintf } from '../i18n';
import { PHONE_MAX_WIDTH } from '../layout';
import type { RoomPhase, RoomTopic } from '../types';
import type { UiContext, View } from './context';
import { el } from './dom';
import { endView, loadingView } from './end-view';
import { preflightView } from './preflight-view';
import { roomView } from './room-view';
import { injectStyles } from './styles';
import { waitingView } from './waiting-view';

export interface RoomUiOptions {
	__: Translate;
	locale?: string;
	onExit?: ( reason: string ) => void;
	/** Add the stylesheet to the document (default true). */
	injectStyles?: boolean;
	/** Session notes' REST (hosts get the Notes panel). */
	notes?: UiContext[ 'notes' ];
	/** Files shared in the chat. */
	files?: UiContext[ 'files' ];
	saveWhiteboard?: ( png: Blob ) => Promise< void >;
}

type ScreenKey = 'loading' | 'preflight' | 'waiting' | 'room' | 'end';

function screenOf( phase: RoomPhase ): ScreenKey {
	switch ( phase ) {
		case 'idle':
		case 'loading':
			return 'loading';
		case 'preflight':
		case 'connecting':
			return 'preflight';
		case 'waiting':
			return 'waiting';
		case 'joined':
			return 'room';
		default:
			return 'end';
	}
}

/**
 * Renders `client` into `root` until destroyed.
 * @param root    The block's element (its children are replaced).
 * @param client  The room client.
 * @param options Translator, locale, exit callback.
 */
export function createRoomUi(
	root: HTMLElement,
	client: RoomClient,
	options: RoomUiOptions
): { destroy: () => void } {
	const { __ } = options;
	if ( options.injectStyles !== false ) {
		injectStyles( root.ownerDocument );
	}
	root.classList.add( 'bkx-room' );
	const live = el( 'div', 'sr' );
	live.setAttribute( 'role', 'status' );
	live.setAttribute( 'aria-live', 'polite' );
	live.setAttribute( 'aria-atomic', 'true' );
	const host = el( 'div', 'host' );
	host.style.display = 'contents';
	root.replaceChildren( live, host );

	let announceTimer: ReturnType< typeof setTimeout > | undefined;
	const ctx: UiContext = {
		client,
		__,
		locale: options.locale,
		saveWhiteboard: options.saveWhiteboard,
		notes: options.notes,
		files: options.files,
		announce( text ) {
			// Cleared first, so the same sentence twice is read twice.
			live.textContent = '';
			clearTimeout( announceTimer );
			announceTimer = setTimeout( () => ( live.textContent = text ), 50 );
		},
		applySink( media ) {
			const id = client.local.audioOutput ?? '';
			const sinkable = media as HTMLMediaElement & {
				setSinkId?: ( id: string ) => Promise< void >;
			};
			void sinkable.setSinkId?.( id ).catch( () => undefined );
		},
	};

	let key: ScreenKey | null = null;
	let view: View | null = null;
	let exited = false;
	const show = () => {
		const next = screenOf( client.phase );
		if ( next === key && next !== 'end' ) {
			view?.update( 'phase' );
			return;
		}
		// Move focus along only if it was in the room already (never steal it on page load).
		const hadFocus = root.contains( root.ownerDocument.activeElement );
		view?.destroy();
		key = next;
		// The room screen has a fixed height (the grid divides it); the others grow with content.
		root.dataset.screen = next;
		switch ( next ) {
			case 'loading':
				view = loadingView( ctx );
				break;
			case 'preflight':
				view = preflightView( ctx );
				break;
			case 'waiting':
				view = waitingView( ctx );
				break;
			case 'room':
				view = roomView( ctx );
				break;
			default:
				view = endView( ctx );
		}
		host.replaceChildren( view.root );
		if ( hadFocus ) {
			view.heading.focus();
		}
	};

	let wasRecording = false;
	const onChange = ( topic: RoomTopic ) => {
		if ( topic === 'phase' ) {
			const phase = client.phase;
			if ( phase === 'joined' ) {
				ctx.announce(
					__(
						'You are in the consultation.',
						'bookingx-video-consultation'
					)
				);
			}
			show();
			if (
				( phase === 'ended' ||
					phase === 'left' ||
					phase === 'refused' ) &&
				! exited
			) {
				exited = true;
				options.onExit?.( client.exitReason ?? phase );
			} else if ( phase === 'preflight' || phase === 'connecting' ) {
				exited = false;
			}
			return;
		}
		// Said only when it changes (consent questions and pauses also come as `recording`).
		if ( topic === 'recording' && client.recording !== wasRecording ) {
			wasRecording = client.recording;
			ctx.announce(
				client.recording
					? __( 'Recording started.', 'bookingx-video-consultation' )
					: __( 'Recording stopped.', 'bookingx-video-consultation' )
			);
		}
		if ( topic === 'connection' && client.phase === 'joined' ) {
			if ( client.connection === 'reconnecting' ) {
				ctx.announce(
					__(
						'Connection interrupted. Reconnecting…',
						'bookingx-video-consultation'
					)
				);
			} else if ( client.connection === 'open' ) {
				ctx.announce(
					__( 'Reconnected.', 'bookingx-video-consultation' )
				);
			}
		}
		view?.update( topic );
	};

	let lobbyIds = new Set< string >();
	const offs = [
		client.on( 'change', onChange ),
		client.on( 'peer-joined', ( peer ) =>
			ctx.announce(
				sprintf(
					/* translators: %s: participant name. */
					__( '%s joined.', 'bookingx-video-consultation' ),
					peer.name
				)
			)
		),
		client.on( 'peer-left', ( peer ) =>
			ctx.announce(
				sprintf(
					/* translators: %s: participant name. */
					__( '%s left.', 'bookingx-video-consultation' ),
					peer.name
				)
			)
		),
		client.on( 'chat', ( message ) => {
			// The open chat's log announces by itself; a closed one would stay silent.
			if (
				! message.own &&
				! root.querySelector( '.bkx-room__chat:not([hidden])' )
			) {
				ctx.announce(
					sprintf(
						/* translators: %s: sender name. */
						__(
							'New message from %s.',
							'bookingx-video-consultation'
						),
						message.name
					)
				);
			}
		} ),
		client.on( 'change', ( topic ) => {
			if ( topic !== 'lobby' || ! client.isHost ) {
				return;
			}
			const arrived = client.lobby.filter(
				( w ) => ! lobbyIds.has( w.id )
			);
			lobbyIds = new Set( client.lobby.map( ( w ) => w.id ) );
			for ( const waiting of arrived ) {
				ctx.announce(
					sprintf(
						/* translators: %s: name of the person in the waiting room. */
						__(
							'%s is waiting to join.',
							'bookingx-video-consultation'
						),
						waiting.name
					)
				);
			}
		} ),
	];

	// Tiles stack and panels cover the stage on a phone-sized room.
	const observer =
		typeof ResizeObserver === 'function'
			? new ResizeObserver( ( [ entry ] ) =>
					root.toggleAttribute(
						'data-narrow',
						( entry?.contentRect.width ?? 1000 ) <= PHONE_MAX_WIDTH
					)
				)
			: null;
	observer?.observe( root );
	// Back online: reconnect now instead of waiting out the backoff.
	const onOnline = () => client.retry();
	root.ownerDocument.defaultView?.addEventListener( 'online', onOnline );

	show();
	return {
		destroy() {
			offs.forEach( ( off ) => off() );
			observer?.disconnect();
			root.ownerDocument.defaultView?.removeEventListener(
				'online',
				onOnline
			);
			clearTimeout( announceTimer );
			view?.destroy();
			view = null;
			root.replaceChildren();
			root.classList.remove( 'bkx-room' );
			delete root.dataset.screen;
		},
	};
}

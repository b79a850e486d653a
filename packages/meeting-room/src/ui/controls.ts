/**
 * The control bar: microphone, camera, screen share, chat, people, settings,
 * picture-in-picture, leave, and for hosts End for everyone. Every control is a real button with
 * visible text; panel toggles say whether their panel is open (aria-expanded).
 */

/**
 * Internal dependencies
 */
import { sprintf } from '../i18n';
import type { UiContext } from './context';
import { button, el, setIcon, setLabel } from './dom';

export type PanelName = 'chat' | 'people' | 'settings' | 'board' | 'notes';

export interface ControlsOptions {
	togglePanel: ( name: PanelName, opener: HTMLButtonElement ) => void;
	openPanel: () => PanelName | null;
	panelId: ( name: PanelName ) => string;
	/** Unread chat messages while the chat is closed. */
	unread: () => number;
	mainVideo: () => HTMLVideoElement | null;
}

/**
 * @param ctx     UI context.
 * @param options Panel state and the picture-in-picture source.
 */
export function controls(
	ctx: UiContext,
	options: ControlsOptions
): {
	root: HTMLElement;
	update: () => void;
	buttons: Record< string, HTMLButtonElement >;
} {
	const { client, __ } = ctx;
	const root = el( 'div', 'controls' );
	root.setAttribute( 'role', 'group' );
	root.setAttribute(
		'aria-label',
		__( 'Meeting controls', 'bookingx-video-consultation' )
	);
	const room = client.room;

	const mic = button( '', 'control', () =>
		client.setAudioEnabled( ! client.local.audio )
	);
	const cam = button( '', 'control', () =>
		client.setVideoEnabled( ! client.local.video )
	);
	const screen = button( '', 'control', () => {
		if ( client.local.screenTrack ) {
			client.stopScreenShare();
		} else {
			void client.startScreenShare();
		}
	} );
	const panelButton = (
		name: PanelName,
		label: string,
		iconName: 'chat' | 'people' | 'settings' | 'board' | 'notes'
	) => {
		const node = button( label, 'control', () =>
			options.togglePanel( name, node )
		);
		node.setAttribute( 'aria-controls', options.panelId( name ) );
		setIcon( node, iconName );
		const badge = el( 'span', 'count' );
		badge.hidden = true;
		node.append( badge );
		return node;
	};
	const chat = panelButton(
		'chat',
		__( 'Chat', 'bookingx-video-consultation' ),
		'chat'
	);
	const people = panelButton(
		'people',
		__( 'People', 'bookingx-video-consultation' ),
		'people'
	);
	// Hosts: the session notes (when the block wired them).
	const notes = panelButton(
		'notes',
		__( 'Notes', 'bookingx-video-consultation' ),
		'notes'
	);
	notes.hidden = ! ( client.isHost && ctx.notes );
	const board = panelButton(
		'board',
		__( 'Whiteboard', 'bookingx-video-consultation' ),
		'board'
	);
	const settings = panelButton(
		'settings',
		__( 'Settings', 'bookingx-video-consultation' ),
		'settings'
	);
	const pip = button(
		__( 'Picture in picture', 'bookingx-video-consultation' ),
		'control',
		() => {
			if ( document.pictureInPictureElement ) {
				void document.exitPictureInPicture().catch( () => undefined );
			} else {
				void options
					.mainVideo()
					?.requestPictureInPicture()
					.catch( () => undefined );
			}
		}
	);
	setIcon( pip, 'pip' );
	const leave = button(
		__( 'Leave', 'bookingx-video-consultation' ),
		'control danger',
		() => client.leave()
	);
	setIcon( leave, 'leave' );
	if ( room?.end_on_host_leave && client.isHost ) {
		leave.title = __(
			'Leaving ends the consultation for everyone.',
			'bookingx-video-consultation'
		);
	}
	// Two steps, so a stray click does not end everyone's consultation.
	let confirmTimer: ReturnType< typeof setTimeout > | undefined;
	const endLabel = __( 'End for everyone', 'bookingx-video-consultation' );
	const end = button( endLabel, 'control danger', () => {
		if ( confirmTimer === undefined ) {
			const ask = __(
				'Confirm: end for everyone',
				'bookingx-video-consultation'
			);
			setLabel( end, ask );
			ctx.announce( ask );
			confirmTimer = setTimeout( () => {
				confirmTimer = undefined;
				setLabel( end, endLabel );
			}, 5000 );
			return;
		}
		clearTimeout( confirmTimer );
		confirmTimer = undefined;
		setLabel( end, endLabel );
		client.end();
	} );
	setIcon( end, 'end' );

	screen.hidden = ! client.canShareScreen;
	chat.hidden = ! room?.chat_enabled;
	end.hidden = ! client.isHost;
	const pipSupported =
		typeof document !== 'undefined' &&
		document.pictureInPictureEnabled === true;
	root.append(
		mic,
		cam,
		screen,
		chat,
		people,
		notes,
		board,
		settings,
		pip,
		leave,
		end
	);

	const badge = ( node: HTMLButtonElement, count: number, label: string ) => {
		const span = node.querySelector< HTMLElement >( '.bkx-room__count' );
		if ( span ) {
			span.hidden = count === 0;
			span.textContent = count ? String( count ) : '';
			// Part of the button's name, so "Chat, 2 unread" is read.
			span.setAttribute( 'aria-label', label );
		}
	};

	const update = () => {
		const { local } = client;
		setLabel(
			mic,
			local.audio
				? __( 'Mute', 'bookingx-video-consultation' )
				: __( 'Unmute', 'bookingx-video-consultation' )
		);
		setIcon( mic, 'mic', ! local.audio );
		mic.toggleAttribute( 'data-off', ! local.audio );
		mic.disabled = ! local.audioTrack;
		setLabel(
			cam,
			local.video
				? __( 'Stop video', 'bookingx-video-consultation' )
				: __( 'Start video', 'bookingx-video-consultation' )
		);
		setIcon( cam, 'camera', ! local.video );
		cam.toggleAttribute( 'data-off', ! local.video );
		cam.disabled = ! local.cameraTrack;
		const sharing = local.screenTrack !== null;
		setLabel(
			screen,
			sharing
				? __( 'Stop sharing', 'bookingx-video-consultation' )
				: __( 'Share screen', 'bookingx-video-consultation' )
		);
		setIcon( screen, 'screen', false );
		screen.toggleAttribute( 'data-active', sharing );
		const open = options.openPanel();
		for ( const [ name, node ] of [
			[ 'chat', chat ],
			[ 'people', people ],
			[ 'notes', notes ],
			[ 'settings', settings ],
		] as const ) {
			node.setAttribute( 'aria-expanded', String( open === name ) );
		}
		const unread = options.unread();
		badge(
			chat,
			unread,
			/* translators: %d: number of unread chat messages. */
			sprintf( __( '%d unread', 'bookingx-video-consultation' ), unread )
		);
		const waiting = client.isHost ? client.lobby.length : 0;
		badge(
			people,
			waiting,
			sprintf(
				/* translators: %d: number of people in the waiting room. */
				__( '%d waiting', 'bookingx-video-consultation' ),
				waiting
			)
		);
		const main = options.mainVideo();
		pip.hidden =
			! pipSupported || ( ! main && ! document.pictureInPictureElement );
		pip.setAttribute(
			'aria-pressed',
			String( !! document.pictureInPictureElement )
		);
	};
	update();
	return {
		root,
		update,
		buttons: {
			mic,
			cam,
			screen,
			chat,
			people,
			notes,
			board,
			settings,
			pip,
			leave,
			end,
		},
	};
}

/**
 * Screen 3, the room: title, recording badge, timer and own connection quality on top; the
 * connection banner; the video stage with the chat / people / settings panels beside it (over it
 * on a phone); the control bar; and short notices.
 */

/**
 * Internal dependencies
 */
import { sprintf } from '../i18n';
import { timerModel } from '../timer';
import type { RoomTopic } from '../types';
import { chatPanel } from './chat';
import { formatTime } from './context';
import type { UiContext, View } from './context';
import type { PanelName } from './controls';
import { controls } from './controls';
import { devicePickers } from './devices';
import { effectToggles } from './effects';
import { whiteboardPanel } from './whiteboard';
import { notesPanel } from './notes-panel';
import { button, el, panelFrame, uid } from './dom';
import { problemMessage } from './messages';
import { peoplePanel } from './people';
import { recordingControls } from './recording';
import { qualityIndicator, stage as createStage } from './stage';

/**
 * @param ctx UI context.
 */
export function roomView( ctx: UiContext ): View {
	const { client, __ } = ctx;
	const room = client.room;
	const root = el( 'section', 'room' );
	const heading = el( 'h2', 'title', room?.title ?? '' );
	heading.tabIndex = -1;
	root.setAttribute( 'aria-labelledby', ( heading.id = uid( 'heading' ) ) );

	// Top bar.
	const bar = el( 'div', 'bar' );
	const recording = el(
		'span',
		'badge',
		__( 'Recording', 'bookingx-video-consultation' )
	);
	const timer = el( 'span', 'timer' );
	timer.setAttribute( 'role', 'timer' );
	const ownQuality = qualityIndicator( ctx );
	bar.append( heading, recording, timer, ownQuality.root );

	// Connection banner.
	const banner = el( 'div', 'banner' );
	const bannerText = el( 'p', 'banner-text' );
	const retry = button(
		__( 'Retry', 'bookingx-video-consultation' ),
		'small',
		() => client.retry()
	);
	banner.append( bannerText, retry );

	// Stage and panels.
	const body = el( 'div', 'body' );
	const stageView = createStage( ctx );
	let open: PanelName | null = null;
	let opener: HTMLButtonElement | null = null;
	let seenChat = client.chat.length;
	const closePanel = () => setPanel( null );
	const chat = chatPanel( ctx, closePanel );
	const people = peoplePanel( ctx, closePanel );
	const {
		root: settingsRoot,
		heading: settingsTitle,
		head: settingsHead,
	} = panelFrame(
		'settings',
		__( 'Settings', 'bookingx-video-consultation' ),
		__( 'Close', 'bookingx-video-consultation' ),
		__( 'Close settings', 'bookingx-video-consultation' ),
		closePanel
	);
	const devices = devicePickers( ctx );
	const effects = effectToggles( ctx );
	settingsRoot.append( settingsHead, devices.root, effects.root );
	// Hosts: the session notes (kept while the panel is closed, so autosave runs on).
	const notes =
		ctx.notes && client.isHost && room
			? notesPanel( ctx, ctx.notes, room.consultation_id, closePanel )
			: {
					root: el( 'aside', 'panel notes' ),
					focus: () => undefined,
					destroy: () => undefined,
					append: undefined,
				};
	// The whiteboard's "Save to notes" (hosts): the picture is shared as a file of the
	// consultation and the notes get a line naming it.
	const files = ctx.files;
	const appendToNotes = notes.append;
	const saveBoard =
		ctx.saveWhiteboard ??
		( files && appendToNotes
			? async ( png: Blob ) => {
					const time = formatTime(
						new Date().toISOString(),
						ctx.locale
					);
					const name = `whiteboard-${ time.replace( /\D/g, '' ) }.png`;
					const shared = await files.upload(
						Object.assign( png, { name } ),
						() => undefined
					).done;
					appendToNotes(
						sprintf(
							/* translators: 1: time of day, 2: file name. */
							__(
								'Whiteboard at %1$s: %2$s',
								'bookingx-video-consultation'
							),
							time,
							shared.name
						)
					);
				}
			: undefined );
	const board = whiteboardPanel( ctx, closePanel, saveBoard );
	const panels: Record<
		PanelName,
		{ root: HTMLElement; focus: () => void }
	> = {
		chat,
		people,
		notes,
		board,
		settings: { root: settingsRoot, focus: () => settingsTitle.focus() },
	};
	body.append(
		stageView.root,
		chat.root,
		people.root,
		notes.root,
		board.root,
		settingsRoot
	);

	const bottom = controls( ctx, {
		togglePanel: ( name, from ) => {
			opener = from;
			setPanel( open === name ? null : name );
		},
		openPanel: () => open,
		panelId: ( name ) => panels[ name ].root.id,
		unread: () => ( open === 'chat' ? 0 : client.chat.length - seenChat ),
		mainVideo: () => stageView.mainVideo(),
	} );

	const toast = el( 'p', 'toast' );
	toast.setAttribute( 'role', 'status' );
	toast.hidden = true;
	let toastTimer: ReturnType< typeof setTimeout > | undefined;

	// Recording: the host's button beside Leave, its upload status in the bar, the consent dialog.
	const rec = recordingControls( ctx, recording );
	bottom.root.insertBefore( rec.button, bottom.buttons.leave ?? null );
	bar.append( rec.status );

	root.append( bar, banner, body, bottom.root, toast, rec.dialog );

	function setPanel( name: PanelName | null, focus = true ): void {
		const previous = open;
		open = name;
		for ( const [ key, panel ] of Object.entries( panels ) ) {
			panel.root.hidden = key !== name;
		}
		if ( name === 'chat' ) {
			seenChat = client.chat.length;
		}
		if ( name === 'settings' ) {
			void devices.refresh();
			effects.refresh();
		}
		bottom.update();
		if ( name && focus ) {
			panels[ name ].focus();
		} else if ( ! name && previous && opener ) {
			opener.focus();
		}
	}
	setPanel( null );

	// Escape closes the open panel and returns to its button.
	root.addEventListener( 'keydown', ( event ) => {
		if ( event.key === 'Escape' && open ) {
			event.preventDefault();
			closePanel();
		}
	} );

	let overtimeAnnounced = false;
	const renderTimer = () => {
		if ( ! room ) {
			return;
		}
		const model = timerModel(
			Date.now(),
			client.startedAt,
			room.scheduled_start,
			room.scheduled_end
		);
		let text: string;
		if ( ! model.started ) {
			text = sprintf(
				/* translators: %s: booked length, as mm:ss or h:mm:ss. */
				__( 'Booked: %s', 'bookingx-video-consultation' ),
				model.scheduled
			);
		} else if ( model.overtime ) {
			text = sprintf(
				/* translators: %s: time past the booked length, as +mm:ss. */
				__( '%s over', 'bookingx-video-consultation' ),
				model.overtime
			);
		} else {
			text = `${ model.elapsed } / ${ model.scheduled }`;
		}
		if ( timer.textContent !== text ) {
			timer.textContent = text;
		}
		timer.toggleAttribute( 'data-over', model.overtime !== null );
		if ( model.overtime && ! overtimeAnnounced ) {
			overtimeAnnounced = true;
			ctx.announce(
				__(
					'The consultation is now over its booked time.',
					'bookingx-video-consultation'
				)
			);
		}
	};
	const ticker = setInterval( renderTimer, 1000 );

	const renderBanner = () => {
		const { connection } = client;
		banner.hidden = connection === 'open';
		banner.dataset.kind = connection;
		banner.setAttribute(
			'role',
			connection === 'lost' ? 'alert' : 'status'
		);
		const text =
			connection === 'lost'
				? problemMessage(
						client.problem ?? { code: 'connection_lost' },
						__
					)
				: __( 'Reconnecting…', 'bookingx-video-consultation' );
		if ( bannerText.textContent !== text ) {
			bannerText.textContent = text;
		}
		retry.hidden = connection !== 'lost';
	};

	const showNotice = ( text: string ) => {
		toast.textContent = text;
		toast.hidden = false;
		clearTimeout( toastTimer );
		toastTimer = setTimeout( () => ( toast.hidden = true ), 6000 );
	};
	const offNotice = client.on( 'notice', ( problem ) =>
		showNotice( problemMessage( problem, __ ) )
	);

	let lobbySize = client.lobby.length;
	const update = ( topic: RoomTopic ) => {
		rec.update( topic );
		switch ( topic ) {
			case 'peers':
			case 'local':
			case 'quality':
				stageView.update();
				people.update();
				ownQuality.set( client.quality );
				bottom.update();
				break;
			case 'board':
				board.update();
				break;
			case 'chat':
				if ( open === 'chat' ) {
					seenChat = client.chat.length;
				}
				chat.update();
				bottom.update();
				break;
			case 'lobby':
				people.update();
				// Someone knocks: a host with no panel open sees the list with Admit and Deny at
				// once (the arrival is announced; focus stays where it is).
				if (
					client.isHost &&
					client.lobby.length > lobbySize &&
					open === null
				) {
					setPanel( 'people', false );
				}
				lobbySize = client.lobby.length;
				bottom.update();
				break;
			case 'recording':
				// ui/recording.ts shows the badge (on, or waiting for consent).
				break;
			case 'connection':
			case 'problem':
				renderBanner();
				break;
		}
	};

	renderTimer();
	renderBanner();
	return {
		root,
		heading,
		update,
		destroy() {
			clearInterval( ticker );
			clearTimeout( toastTimer );
			offNotice();
			stageView.destroy();
			devices.destroy();
			notes.destroy();
			rec.destroy();
			if (
				document.pictureInPictureElement &&
				root.contains( document.pictureInPictureElement )
			) {
				void document.exitPictureInPicture().catch( () => undefined );
			}
		},
	};
}

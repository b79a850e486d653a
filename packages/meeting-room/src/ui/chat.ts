/**
 * The chat panel: messages with sender and local time (a polite log), a composer where Enter
 * sends and Shift+Enter starts a new line, with the CHAT_MAX_LENGTH counter.
 */

/**
 * Internal dependencies
 */
import { CHAT_MAX_LENGTH } from '@bkx-video/contracts/room-constants';
import { sprintf } from '../i18n';
import type { ChatMessage } from '../types';
import type { UiContext } from './context';
import { formatTime } from './context';
import { el, panelFrame, uid } from './dom';
import { fileItem, fileShareControls } from './file-share';

/**
 * @param ctx     UI context.
 * @param onClose Close button handler.
 */
export function chatPanel(
	ctx: UiContext,
	onClose: () => void
): { root: HTMLElement; update: () => void; focus: () => void } {
	const { client, __, locale } = ctx;
	const { root, heading, head } = panelFrame(
		'chat',
		__( 'Chat', 'bookingx-video-consultation' ),
		__( 'Close', 'bookingx-video-consultation' ),
		__( 'Close chat', 'bookingx-video-consultation' ),
		onClose
	);

	const log = el( 'ol', 'messages' );
	log.setAttribute( 'role', 'log' );
	log.setAttribute( 'aria-live', 'polite' );
	log.setAttribute( 'aria-labelledby', heading.id );
	log.tabIndex = 0; // Scrollable: reachable by keyboard.
	const empty = el(
		'p',
		'empty',
		__( 'No messages yet.', 'bookingx-video-consultation' )
	);

	const form = el( 'form', 'compose' );
	const input = el( 'textarea', 'input' );
	input.id = uid( 'chat-input' );
	input.rows = 2;
	input.maxLength = CHAT_MAX_LENGTH;
	const label = el(
		'label',
		'sr',
		__( 'Message', 'bookingx-video-consultation' )
	);
	label.htmlFor = input.id;
	const counter = el( 'span', 'counter' );
	counter.id = uid( 'chat-counter' );
	input.setAttribute( 'aria-describedby', counter.id );
	const send = el( 'button', 'primary' );
	send.type = 'submit';
	send.textContent = __( 'Send', 'bookingx-video-consultation' );
	const row = el( 'div', 'compose-row' );
	row.append( counter, send );
	form.append( label, input, row );
	// Files are shared into the chat (uploads straight to the sidecar, see files.ts).
	const sharing = ctx.files ? fileShareControls( ctx, ctx.files ) : null;
	root.append(
		head,
		log,
		empty,
		form,
		...( sharing ? [ sharing.root ] : [] )
	);

	const renderCounter = () => {
		counter.textContent = sprintf(
			/* translators: 1: characters typed, 2: the most allowed. */
			__( '%1$d / %2$d characters', 'bookingx-video-consultation' ),
			input.value.length,
			CHAT_MAX_LENGTH
		);
		counter.dataset.full = String( input.value.length >= CHAT_MAX_LENGTH );
	};
	const submit = () => {
		if ( client.sendChat( input.value ) ) {
			input.value = '';
			renderCounter();
		}
	};
	form.addEventListener( 'submit', ( event ) => {
		event.preventDefault();
		submit();
	} );
	input.addEventListener( 'input', renderCounter );
	input.addEventListener( 'keydown', ( event ) => {
		// Not while an input method is composing (Chinese, Japanese…): Enter picks a candidate there.
		if (
			event.key === 'Enter' &&
			! event.shiftKey &&
			! event.isComposing
		) {
			event.preventDefault();
			submit();
		}
	} );

	const items = new Map< string, HTMLLIElement >();
	const item = ( message: ChatMessage ): HTMLLIElement => {
		const li = el( 'li', 'message' );
		const meta = el( 'p', 'meta' );
		const who = el(
			'span',
			'sender',
			message.own
				? __( 'You', 'bookingx-video-consultation' )
				: message.name
		);
		const time = el( 'time', 'time' );
		meta.append( who, ' ', time );
		li.append(
			meta,
			message.file
				? fileItem( ctx, ctx.files ?? null, message.file )
				: el( 'p', 'text', message.text )
		);
		return li;
	};
	const update = () => {
		const keep = new Set( client.chat.map( ( m ) => m.key ) );
		for ( const [ key, li ] of items ) {
			if ( ! keep.has( key ) ) {
				li.remove();
				items.delete( key );
			}
		}
		const atBottom =
			log.scrollHeight - log.scrollTop - log.clientHeight < 40;
		for ( const message of client.chat ) {
			let li = items.get( message.key );
			if ( ! li ) {
				li = item( message );
				items.set( message.key, li );
				log.append( li );
			}
			li.toggleAttribute( 'data-pending', message.pending );
			const time = li.querySelector( 'time' );
			if ( time && time.dateTime !== message.at ) {
				time.dateTime = message.at;
				time.textContent = formatTime( message.at, locale );
			}
		}
		empty.hidden = items.size > 0;
		if ( atBottom ) {
			log.scrollTop = log.scrollHeight;
		}
	};
	renderCounter();
	update();
	return { root, update, focus: () => input.focus() };
}

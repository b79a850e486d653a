/**
 * `@bkx-video/meeting-room`: the built-in consultation room (platform `webrtc`).
 *
 * Framework-free: plain DOM for the UI and {@link RoomClient} for signaling (contracts/room.ts),
 * mesh peer connections and media. No zod and no WordPress imports, so the block's view script
 * stays small; the block passes WordPress's `__` as `t`.
 */

/**
 * Internal dependencies
 */
import type {
	RoomTicket,
	SaveSessionNotesBody,
	SessionNotes,
} from '@bkx-video/contracts';
import { RoomClient } from './client';
import { createRoomFiles } from './files';
import { createTranslate } from './i18n';
import { createRoomUi } from './ui/app';

export { RoomClient } from './client';
export type { RoomClientOptions } from './client';
export type * from './types';
export { browserSupportProblem } from './preflight';
export { createRoomFiles, filesUrl, RoomFileError } from './files';
export type { RoomFilesApi } from './files';

export interface RoomOptions {
	/** Asks REST for a fresh ticket (first connect and every reconnect). Rejects with an Error that has `code` and `message` (WordPress error JSON shape) on refusal. */
	getTicket: () => Promise< RoomTicket >;
	/** Translates a UI string (the block passes WordPress's __ bound to our text domain); default identity. */
	t?: ( text: string ) => string;
	/** Locale for dates/numbers (BCP 47), default navigator.language. */
	locale?: string;
	/** Called when the user leaves or the room ends: `left`, an `ended` reason (`host_ended`, `host_left`, `closed`, `meeting_ended`) or a refusal code (`room_denied`, `room_full`, `room_replaced`…). */
	onExit?: ( reason: string ) => void;
	/** Inject the room's stylesheet into the document (default true; false if the theme ships its own). */
	injectStyles?: boolean;
	/**
	 * Hosts: reads the viewer's session notes (GET …/consultations/{id}/notes). With `saveNotes`, the
	 * room shows a Notes panel to hosts. Rejects with an Error that has `code`, `message` and `status`.
	 */
	loadNotes?: ( consultationId: number ) => Promise< SessionNotes >;
	/** Hosts: saves them (PUT; `keepalive` on `pagehide`). A 409 `conflict` rejects with `data.current`. */
	saveNotes?: (
		consultationId: number,
		body: SaveSessionNotesBody,
		options: { keepalive: boolean }
	) => Promise< SessionNotes >;
	/** Hosts: keeps a PNG of the whiteboard with the session notes (absent: no "Save to notes"). */
	saveWhiteboard?: ( png: Blob ) => Promise< void >;
}

/** The mounted element: the client is on it (non-enumerable) for browser tests and support. */
export type RoomElement = HTMLElement & { readonly bkxRoom?: RoomClient };

/**
 * Mounts the room into `element` (its content is replaced) and starts: ticket, preflight, Join.
 * @param element The block's element.
 * @param options Ticket source, translator, locale, exit callback.
 * @return `destroy()` (closes the socket and connections, releases camera and microphone, empties
 *         the element) and the client.
 */
export function mountRoom(
	element: HTMLElement,
	options: RoomOptions
): { destroy: () => void; client: RoomClient } {
	const client = new RoomClient( { getTicket: () => options.getTicket() } );
	Object.defineProperty( element, 'bkxRoom', {
		value: client,
		enumerable: false,
		configurable: true,
	} );
	const ui = createRoomUi( element, client, {
		__: createTranslate( options.t ),
		locale: options.locale ?? globalThis.navigator?.language,
		onExit: options.onExit,
		injectStyles: options.injectStyles,
		saveWhiteboard: options.saveWhiteboard,
		notes:
			options.loadNotes && options.saveNotes
				? { load: options.loadNotes, save: options.saveNotes }
				: undefined,
		files: createRoomFiles( { getTicket: () => options.getTicket() } ),
	} );
	void client.load();
	return {
		client,
		destroy() {
			ui.destroy();
			client.destroy();
			delete ( element as { bkxRoom?: RoomClient } ).bkxRoom;
		},
	};
}

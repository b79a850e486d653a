/**
 * What every view gets: the client, the translator, the locale, and the live region.
 */

/**
 * Internal dependencies
 */
import type { RoomClient } from '../client';
import type { RoomFilesApi } from '../files';
import type { Translate } from '../i18n';
import type { RoomTopic } from '../types';
import type { NotesSource } from './notes-panel';

export interface UiContext {
	client: RoomClient;
	__: Translate;
	/** BCP 47 tag for dates and numbers. */
	locale: string | undefined;
	/** Says `text` in the polite live region. */
	announce: ( text: string ) => void;
	/** Sends a media element's sound to the chosen speaker (where `setSinkId` exists). */
	applySink: ( media: HTMLMediaElement ) => void;
	/** Hosts: the session notes' REST (absent: no Notes panel). */
	notes?: NotesSource;
	/** Sharing files in the chat (absent: no Share a file). */
	files?: RoomFilesApi;
	/** Hosts: keeps a PNG of the whiteboard with the session notes. */
	saveWhiteboard?: ( png: Blob ) => Promise< void >;
}

/** One screen (preflight, waiting room, room, end). */
export interface View {
	root: HTMLElement;
	/** Where focus goes when the screen appears (its heading). */
	heading: HTMLElement;
	update: ( topic: RoomTopic ) => void;
	destroy: () => void;
}

/**
 * A short time in the viewer's time zone ("10:42"), falling back to the browser's locale for a tag
 * Intl does not know (custom WordPress locales).
 * @param iso    Instant.
 * @param locale BCP 47 tag.
 */
export function formatTime( iso: string, locale: string | undefined ): string {
	const date = new Date( iso );
	if ( Number.isNaN( date.getTime() ) ) {
		return '';
	}
	const options: Intl.DateTimeFormatOptions = {
		hour: 'numeric',
		minute: '2-digit',
	};
	try {
		return new Intl.DateTimeFormat( locale, options ).format( date );
	} catch {
		return new Intl.DateTimeFormat( undefined, options ).format( date );
	}
}

/**
 * Front end of the consultation room block: mounts the room (`@bkx-video/meeting-room`, plain DOM,
 * no React) and gives it a ticket from REST whenever it connects or reconnects.
 *
 * The guest's personal token (`bkx_vc`) is read once from the link, taken out of the address
 * bar and kept for this tab only, as the Join button does.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { createClient, toApiError } from '@bkx-video/api-client/lite';
import { accessToken } from '../shared/access-token';
import { mountRoom } from '@bkx-video/meeting-room';

const BLOCK_SELECTOR = '.wp-block-bookingx-video-meeting-room';
const client = createClient( { fetcher: apiFetch } );

/**
 * The call's result, or a rejection the room reads: an Error with `code`, `status` and the
 * WP_Error `data` (a notes conflict carries the stored text in `data.current`).
 *
 * @param call A REST call of the api-client.
 */
async function refusal< T >( call: Promise< T > ): Promise< T > {
	try {
		return await call;
	} catch ( thrown ) {
		const { code, message, status, data } = toApiError( thrown );
		throw Object.assign( new Error( message ), { code, status, data } );
	}
}

function start( element: HTMLElement ): void {
	const room = element.dataset.room;
	if ( ! room || element.dataset.mounted ) {
		return;
	}
	element.dataset.mounted = '1';
	const token = accessToken();
	element.removeAttribute( 'aria-busy' );
	element.dataset.state = 'ready';
	element.replaceChildren();
	mountRoom( element, {
		getTicket: async () => {
			try {
				return await client.rooms.ticket( room, {
					accessToken: token,
				} );
			} catch ( thrown ) {
				// The room stops retrying on a refusal (401/403/404/410) and retries the rest.
				const { code, message, status } = toApiError( thrown );
				throw Object.assign( new Error( message ), { code, status } );
			}
		},
		// Hosts' session notes (the room shows the Notes panel to hosts only).
		loadNotes: ( id: number ) => refusal( client.notes.get( id ) ),
		saveNotes: ( id, body, { keepalive } ) =>
			refusal( client.notes.save( id, body, { keepalive } ) ),
		// Strings of the room are English keys translated at run time (one text domain).
		t: ( text: string ) =>
			// eslint-disable-next-line @wordpress/i18n-no-variables
			__( text, 'bookingx-video-consultation' ),
		locale: document.documentElement.lang || undefined,
	} );
}

function init(): void {
	document.querySelectorAll< HTMLElement >( BLOCK_SELECTOR ).forEach( start );
}

// WordPress 6.1 prints block view scripts in the head: wait for the markup.
if ( document.readyState === 'loading' ) {
	document.addEventListener( 'DOMContentLoaded', init );
} else {
	init();
}

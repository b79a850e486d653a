/**
 * `@bkx-video/api-client/lite`: the consultation calls without zod, for front-end view scripts
 * where bundle size matters. Types come from the contracts (`import type` only, erased at build).
 *
 * The server is trusted to follow the contract; only "is it an object at all" is checked.
 * Use the main entry wherever a few dozen kB do not matter (admin, tests, Node).
 */
import type { CalendarEntry, ConsultationView, JoinResponse, RoomTicket, SaveSessionNotesBody, SessionNotes } from '@bkx-video/contracts';

import { ApiError } from './api-error';
import type { Fetcher } from './fetcher';
import { paths } from './paths';
import type { AccessOptions } from './paths';
import { send } from './request';

export { ApiError, isApiError, toApiError } from './api-error';
export type { ApiErrorCode, ApiErrorInit } from './api-error';
export type { Fetcher, FetcherOptions } from './fetcher';
export type { AccessOptions } from './paths';
export type { CalendarEntry, ConsultationView, JoinResponse, RoomTicket, SaveSessionNotesBody, SessionNotes } from '@bkx-video/contracts';

export interface LiteClient {
	consultations: {
		current( options?: AccessOptions ): Promise< ConsultationView >;
		get( id: number, options?: AccessOptions ): Promise< ConsultationView >;
		join( id: number, options?: AccessOptions ): Promise< JoinResponse >;
		calendar( id: number, options?: AccessOptions ): Promise< CalendarEntry >;
	};
	rooms: {
		/** A ticket into the built-in room (POST …/rooms/{room}/ticket). */
		ticket( room: string, options?: AccessOptions ): Promise< RoomTicket >;
	};
	notes: {
		/** The viewer's session notes on a consultation (GET …/consultations/{id}/notes; hosts and admins). */
		get( id: number ): Promise< SessionNotes >;
		/**
		 * Saves them (PUT); 409 `conflict` when another tab saved since `base_version` (`data.current`).
		 * `keepalive`: the request outlives the page (saves on `pagehide`).
		 */
		save( id: number, body: SaveSessionNotesBody, options?: { keepalive?: boolean } ): Promise< SessionNotes >;
	};
}

/** @throws {ApiError} `invalid_response` when the body is not a JSON object with `key` present. */
function expectObject< T >( body: unknown, key: string ): T {
	if ( typeof body === 'object' && body !== null && key in body ) {
		return body as T;
	}
	throw new ApiError( {
		code: 'invalid_response',
		message: 'The server answered with data this page does not understand.',
		status: 0,
	} );
}

/**
 * Same `consultations` methods and errors as `createClient`, without schema parsing.
 *
 * @throws {ApiError} server codes, `fetch_error`, or `invalid_response` for a non-object body.
 */
export function createClient( { fetcher }: { fetcher: Fetcher } ): LiteClient {
	return {
		consultations: {
			current: async ( options ) =>
				expectObject( await send( fetcher, { path: paths.current( options ), method: 'GET' } ), 'state' ),
			get: async ( id, options ) =>
				expectObject( await send( fetcher, { path: paths.consultation( id, options ), method: 'GET' } ), 'state' ),
			join: async ( id, options ) =>
				expectObject( await send( fetcher, { path: paths.join( id, options ), method: 'POST' } ), 'join_url' ),
			calendar: async ( id, options ) =>
				expectObject( await send( fetcher, { path: paths.calendar( id, options ), method: 'GET' } ), 'ics' ),
		},
		rooms: {
			ticket: async ( room, options ) =>
				expectObject( await send( fetcher, { path: paths.roomTicket( room, options ), method: 'POST' } ), 'token' ),
		},
		notes: {
			get: async ( id ) => expectObject( await send( fetcher, { path: paths.notes( id ), method: 'GET' } ), 'version' ),
			save: async ( id, body, options ) =>
				expectObject(
					await send( fetcher, { path: paths.notes( id ), method: 'PUT', data: body, ...( options?.keepalive ? { keepalive: true } : {} ) } ),
					'version'
				),
		},
	};
}

/**
 * Files shared in the room, the browser side (contracts/room-files.ts): the upload goes straight
 * to the sidecar that holds the room (`POST …/rooms/{room}/files`, the room token as bearer) with
 * XMLHttpRequest for its upload progress; a download asks for a signed link, then lets the browser
 * fetch it as an attachment. Every call takes a fresh ticket, since a room token lives minutes.
 */

/**
 * Internal dependencies
 */
import type { RoomFile, RoomFileLink, RoomTicket } from '@bkx-video/contracts';

export type { RoomFile };

/** A refused or failed upload or download: the server's code and text, or `fetch_error` / `aborted`. */
export class RoomFileError extends Error {
	readonly code: string;
	readonly status: number;

	/**
	 * @param code    Error code.
	 * @param message Text to show (the server's, in the site's language).
	 * @param status  HTTP status, 0 without an answer.
	 */
	constructor( code: string, message: string, status = 0 ) {
		super( message );
		this.name = 'RoomFileError';
		this.code = code;
		this.status = status;
	}
}

/** What the UI uses. */
export interface RoomFilesApi {
	/**
	 * Uploads one file.
	 * @param file       The chosen file.
	 * @param onProgress Share sent, 0–1 (null while the size is unknown).
	 */
	upload: (
		file: Blob & { name?: string },
		onProgress: ( fraction: number | null ) => void
	) => { done: Promise< RoomFile >; abort: () => void };
	/**
	 * Downloads a file of the room (signed link, opened as an attachment).
	 * @param id File id from `file-shared`.
	 */
	download: ( id: number ) => Promise< void >;
}

/** The minimal XMLHttpRequest the upload needs (a seam for tests). */
export type XhrLike = Pick<
	XMLHttpRequest,
	| 'open'
	| 'setRequestHeader'
	| 'send'
	| 'abort'
	| 'status'
	| 'responseText'
	| 'onload'
	| 'onerror'
	| 'onabort'
> & { upload: Pick< XMLHttpRequestUpload, 'onprogress' > };

export interface RoomFilesOptions {
	getTicket: () => Promise< RoomTicket >;
	createXhr?: () => XhrLike;
	fetch?: typeof fetch;
	/** Starts the browser's download of `url` (default: a temporary link, clicked). */
	open?: ( url: string ) => void;
}

/**
 * `…/rooms/{room}/files` on the sidecar that signals the room (its signaling URL, over HTTP).
 * @param ticket A room ticket.
 */
export function filesUrl(
	ticket: Pick< RoomTicket, 'signaling_url' >
): string {
	const url = new URL( ticket.signaling_url );
	url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
	url.search = '';
	url.pathname = url.pathname.replace( /\/signal$/, '/files' );
	return url.toString();
}

/**
 * The error in a WordPress-shaped error body, or a generic one.
 * @param status HTTP status.
 * @param text   Response body.
 */
function errorFrom( status: number, text: string ): RoomFileError {
	try {
		const body = JSON.parse( text ) as {
			code?: unknown;
			message?: unknown;
		};
		if ( typeof body.code === 'string' ) {
			return new RoomFileError(
				body.code,
				typeof body.message === 'string' ? body.message : body.code,
				status
			);
		}
	} catch {
		// Not JSON: a proxy's page.
	}
	return new RoomFileError(
		status ? 'unknown_error' : 'fetch_error',
		'',
		status
	);
}

/**
 * @param options Ticket source and seams.
 */
export function createRoomFiles( options: RoomFilesOptions ): RoomFilesApi {
	const doFetch =
		options.fetch ?? ( ( ...args ) => globalThis.fetch( ...args ) );
	const createXhr =
		options.createXhr ??
		( () => new XMLHttpRequest() as unknown as XhrLike );
	const open =
		options.open ??
		( ( url: string ) => {
			const link = document.createElement( 'a' );
			link.href = url;
			link.rel = 'noopener';
			link.hidden = true;
			document.body.append( link );
			link.click();
			link.remove();
		} );
	const ticket = async () => {
		try {
			return await options.getTicket();
		} catch ( thrown ) {
			const e = thrown as { code?: unknown; message?: unknown };
			throw new RoomFileError(
				typeof e?.code === 'string' ? e.code : 'fetch_error',
				typeof e?.message === 'string' ? e.message : ''
			);
		}
	};

	return {
		upload( file, onProgress ) {
			let xhr: XhrLike | null = null;
			let aborted = false;
			const done = ( async () => {
				const t = await ticket();
				if ( aborted ) {
					throw new RoomFileError( 'aborted', '' );
				}
				return new Promise< RoomFile >( ( resolve, reject ) => {
					const request = createXhr();
					xhr = request;
					request.open( 'POST', filesUrl( t ) );
					request.setRequestHeader(
						'Authorization',
						`Bearer ${ t.token }`
					);
					// Only informative: the sidecar reads the type from the content.
					request.setRequestHeader(
						'Content-Type',
						file.type || 'application/octet-stream'
					);
					request.setRequestHeader(
						'X-File-Name',
						encodeURIComponent( file.name ?? 'file' )
					);
					request.upload.onprogress = ( event ) =>
						onProgress(
							event.lengthComputable && event.total
								? event.loaded / event.total
								: null
						);
					request.onload = () => {
						if ( request.status === 201 ) {
							try {
								resolve(
									JSON.parse(
										request.responseText
									) as RoomFile
								);
							} catch {
								reject( errorFrom( request.status, '' ) );
							}
							return;
						}
						reject(
							errorFrom( request.status, request.responseText )
						);
					};
					request.onerror = () =>
						reject( new RoomFileError( 'fetch_error', '' ) );
					request.onabort = () =>
						reject( new RoomFileError( 'aborted', '' ) );
					request.send( file );
				} );
			} )();
			return {
				done,
				abort() {
					aborted = true;
					xhr?.abort();
				},
			};
		},

		async download( id ) {
			const t = await ticket();
			const base = filesUrl( t );
			let response: Response;
			try {
				response = await doFetch( `${ base }/${ id }/link`, {
					method: 'POST',
					headers: { Authorization: `Bearer ${ t.token }` },
				} );
			} catch {
				throw new RoomFileError( 'fetch_error', '' );
			}
			const text = await response.text();
			if ( ! response.ok ) {
				throw errorFrom( response.status, text );
			}
			const link = JSON.parse( text ) as RoomFileLink;
			// The link names a path on the sidecar; keep this URL's origin and prefix (a proxy's).
			const query = new URL( link.url, 'http://x' ).search;
			open( `${ base }/${ id }${ query }` );
		},
	};
}

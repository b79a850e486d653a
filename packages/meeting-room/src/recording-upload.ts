/**
 * Uploads a room recording as MediaRecorder makes it (contracts/room-recording.ts): open once with
 * the room token, then each chunk with its index, one at a time and in order, retried with backoff
 * (the server replaces a chunk sent twice, so a retry after a lost answer is harmless), then finish.
 * Chunks stay in memory only until the server has them. Straight to the sidecar that holds the
 * room: `signaling_url` with `/recordings` in place of `/signal`.
 */

/**
 * Internal dependencies
 */
import type { RoomRecordingUpload, RoomTicket } from '@bkx-video/contracts';

export type FetchLike = (
	url: string,
	init: {
		method: string;
		headers: Record< string, string >;
		body?: Blob | string;
		keepalive?: boolean;
	}
) => Promise< {
	ok: boolean;
	status: number;
	json: () => Promise< unknown >;
} >;

export interface UploadStatus {
	state: 'opening' | 'uploading' | 'finishing' | 'done' | 'failed';
	/** Chunks the server has, of those made so far. */
	sent: number;
	made: number;
	bytes: number;
	/** The recording's id once opened. */
	recordingId: number | null;
	/** Why it failed (an error code). */
	error: string | null;
}

export interface UploaderOptions {
	/** The ticket's `signaling_url`. */
	signalingUrl: string;
	take: string;
	mimeType: string;
	/** A fresh room token (the open needs one that has not expired). */
	roomToken: () => Promise< string >;
	fetch?: FetchLike;
	onStatus?: ( status: UploadStatus ) => void;
	/** Waits between tries (tests pass a fast one). */
	sleep?: ( ms: number ) => Promise< void >;
	/** The server answered how big a recording may be: the recorder stops there. */
	onLimit?: () => void;
}

/** Tries per request before the upload counts as failed (about 2 minutes of backoff). */
const MAX_TRIES = 10;
const backoff = ( attempt: number ) => Math.min( 30_000, 500 * 2 ** attempt );

/**
 * The upload base of a room: `wss://host/rooms/r_x/signal` → `https://host/rooms/r_x/recordings`.
 * @param signalingUrl The ticket's `signaling_url`.
 */
export function recordingsUrl(
	signalingUrl: RoomTicket[ 'signaling_url' ]
): string {
	return signalingUrl
		.replace( /^ws(s?):/, 'http$1:' )
		.replace( /\/signal(\?.*)?$/, '/recordings' );
}

export class RecordingUploader {
	readonly status: UploadStatus = {
		state: 'opening',
		sent: 0,
		made: 0,
		bytes: 0,
		recordingId: null,
		error: null,
	};

	#o: Required< Omit< UploaderOptions, 'onStatus' | 'onLimit' > > &
		Pick< UploaderOptions, 'onStatus' | 'onLimit' >;
	#base: string;
	#upload: RoomRecordingUpload | null = null;
	#queue: Array< { n: number; blob: Blob } > = [];
	#running: Promise< void > | null = null;
	#finishing = false;

	constructor( options: UploaderOptions ) {
		this.#o = {
			fetch:
				options.fetch ??
				( ( url, init ) =>
					globalThis.fetch( url, init ) as ReturnType< FetchLike > ),
			sleep:
				options.sleep ??
				( ( ms ) =>
					new Promise( ( resolve ) => setTimeout( resolve, ms ) ) ),
			...options,
		};
		this.#base = recordingsUrl( options.signalingUrl );
	}

	/**
	 * A chunk from `dataavailable` (empty ones are skipped).
	 * @param blob The chunk.
	 */
	push( blob: Blob ): void {
		if (
			blob.size === 0 ||
			this.#finishing ||
			this.status.state === 'failed'
		) {
			return;
		}
		this.#queue.push( { n: this.status.made++, blob } );
		this.#emit();
		this.#pump();
	}

	/** Sends what is left, then `finish`. Resolves with the final status. */
	async finish(): Promise< UploadStatus > {
		this.#finishing = true;
		this.#pump();
		await this.#running;
		if ( this.status.state === 'failed' || ! this.#upload ) {
			return this.status;
		}
		if ( this.status.made === 0 ) {
			// Nothing was recorded: the server's finalize marks the take failed.
			this.#set( 'done' );
			return this.status;
		}
		this.#set( 'finishing' );
		const ok = await this.#request( () =>
			this.#call(
				`${ this.#base }/${ this.#upload!.recording_id }/finish`,
				'POST',
				this.#upload!.upload_token,
				JSON.stringify( { chunks: this.status.made } )
			)
		);
		this.#set( ok ? 'done' : 'failed' );
		return this.status;
	}

	/**
	 * The page is going away: what is queued and the finish, with `keepalive`, best effort (a
	 * browser sends at most 64 KB that way; the server finishes the rest of the take anyway).
	 */
	flushOnPageHide(): void {
		const upload = this.#upload;
		if ( ! upload || this.status.state === 'done' ) {
			return;
		}
		let budget = 60 * 1024;
		for ( const { n, blob } of this.#queue ) {
			if ( blob.size > budget ) {
				break;
			}
			budget -= blob.size;
			void this.#call(
				`${ this.#base }/${ upload.recording_id }/chunks/${ n }`,
				'PUT',
				upload.upload_token,
				blob,
				true
			).catch( () => undefined );
		}
		void this.#call(
			`${ this.#base }/${ upload.recording_id }/finish`,
			'POST',
			upload.upload_token,
			JSON.stringify( { chunks: this.status.made } ),
			true
		).catch( () => undefined );
	}

	#pump(): void {
		if ( this.#running ) {
			return;
		}
		this.#running = ( async () => {
			try {
				while ( this.status.state !== 'failed' ) {
					if ( ! this.#upload && ! ( await this.#open() ) ) {
						this.#fail( 'upload_open_failed' );
						return;
					}
					const next = this.#queue[ 0 ];
					if ( ! next ) {
						return;
					}
					const upload = this.#upload!;
					const ok = await this.#request( () =>
						this.#call(
							`${ this.#base }/${ upload.recording_id }/chunks/${ next.n }`,
							'PUT',
							upload.upload_token,
							next.blob
						)
					);
					if ( ! ok ) {
						this.#fail( 'upload_failed' );
						return;
					}
					this.#queue.shift();
					this.status.sent++;
					this.status.bytes += next.blob.size;
					if ( this.status.bytes >= upload.max_bytes * 0.98 ) {
						this.#o.onLimit?.();
					}
					this.#set( 'uploading' );
				}
			} finally {
				this.#running = null;
			}
		} )();
	}

	async #open(): Promise< boolean > {
		let answer: RoomRecordingUpload | null = null;
		const ok = await this.#request( async () => {
			const res = await this.#call(
				this.#base,
				'POST',
				await this.#o.roomToken(),
				JSON.stringify( {
					take: this.#o.take,
					mime_type: this.#o.mimeType,
				} )
			);
			if ( res.ok ) {
				answer = ( await res.json() ) as RoomRecordingUpload;
			}
			return res;
		}, true );
		if ( ok && answer ) {
			this.#upload = answer;
			this.status.recordingId = (
				answer as RoomRecordingUpload
			 ).recording_id;
			this.#set( 'uploading' );
			return true;
		}
		return false;
	}

	/**
	 * One request with retries: network errors, 429, 5xx (and 409 while opening: the consents are
	 * still being written) are tried again with backoff; other 4xx are final.
	 * @param send    Makes the request (again).
	 * @param opening The open: a 409 is retried too.
	 * @return Whether it succeeded.
	 */
	async #request(
		send: () => ReturnType< FetchLike >,
		opening = false
	): Promise< boolean > {
		for ( let attempt = 0; attempt < MAX_TRIES; attempt++ ) {
			try {
				const res = await send();
				if ( res.ok ) {
					return true;
				}
				const again =
					res.status === 429 ||
					res.status >= 500 ||
					( opening && res.status === 409 );
				if ( res.status === 413 ) {
					this.#o.onLimit?.();
				}
				if ( ! again ) {
					this.status.error = `http_${ res.status }`;
					return false;
				}
			} catch {
				// Offline or the sidecar restarting: try again.
			}
			await this.#o.sleep( backoff( attempt ) );
		}
		return false;
	}

	#call(
		url: string,
		method: 'POST' | 'PUT',
		token: string,
		body: Blob | string,
		keepalive = false
	) {
		return this.#o.fetch( url, {
			method,
			headers: {
				authorization: `Bearer ${ token }`,
				'content-type':
					typeof body === 'string'
						? 'application/json'
						: 'application/octet-stream',
			},
			body,
			...( keepalive ? { keepalive } : {} ),
		} );
	}

	#fail( code: string ): void {
		this.status.error ??= code;
		this.#set( 'failed' );
	}

	#set( state: UploadStatus[ 'state' ] ): void {
		this.status.state = state;
		this.#emit();
	}

	#emit(): void {
		this.#o.onStatus?.( { ...this.status } );
	}
}

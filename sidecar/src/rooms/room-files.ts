/**
 * Files shared in the built-in room (issue 6): who may share and download (a person in the room,
 * proven by a fresh room token and the hub's presence), the limits (`max_upload_size`, the type
 * by content: rooms/file-types.ts), encrypted storage with the consultation, the `file-shared`
 * broadcast, and short-lived signed download links served by the sidecar (never through PHP).
 *
 * Bytes at rest use the recordings' store (recordings/store.ts) in a folder of its own: a random
 * data key per file, wrapped with BKX_VIDEO_ENCRYPTION_KEY in the row, AES-256-GCM chunks on disk.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';

import type { Knex } from 'knex';

import type { RoomFile, RoomFileLink, RoomFileMime } from '@bkx-video/contracts';

import type { Tables } from '../db/tables';
import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import { AppError } from '../errors';
import type { RecordingStore } from '../recordings/store';
import type { SettingsService } from '../services/settings-service';
import type { PeerRecord, RoomHub } from './room-hub';
import type { RoomClaims, RoomTickets } from './room-tickets';
import { safeFileName, sniffFileType } from './file-types';

/** How long a download link works: the click starts it at once. */
export const ROOM_FILE_LINK_SECONDS = 5 * 60;

interface Deps {
	knex: Knex;
	tables: Tables;
	store: RecordingStore;
	hub: RoomHub;
	tickets: RoomTickets;
	settings: SettingsService;
	secret: string;
	clock: () => Date;
}

/** A stored file's row. */
export interface StoredRoomFile {
	id: number;
	consultationId: number;
	uploadedBy: string;
	name: string;
	mime: RoomFileMime;
	size: number;
	storageKey: string;
	wrappedKey: string;
	createdAt: Date;
}

type Row = Record< string, unknown >;

const fromRow = ( r: Row ): StoredRoomFile => ( {
	id: Number( r.id ),
	consultationId: Number( r.consultation_id ),
	uploadedBy: String( r.uploaded_by ),
	name: String( r.name ),
	mime: String( r.mime ) as RoomFileMime,
	size: Number( r.size ),
	storageKey: String( r.storage_key ),
	wrappedKey: String( r.wrapped_key ),
	createdAt: fromSqlDateTime( r.created_at as string )!,
} );

/** Who acts: the token's claims and the person's place in the room. */
export interface RoomActor {
	claims: RoomClaims;
	peer: PeerRecord;
}

export function createRoomFiles( deps: Deps ) {
	const { knex, tables: t } = deps;
	const linkKey = createHmac( 'sha256', deps.secret ).update( 'bkx-video-room-files' ).digest();
	const sign = ( room: string, id: number, exp: number ) => createHmac( 'sha256', linkKey ).update( `${ room }.${ id }.${ exp }` ).digest( 'base64url' );

	async function find( id: number ): Promise< StoredRoomFile | null > {
		const row = ( await knex( t.roomFiles ).where( 'id', id ).first() ) as Row | undefined;
		return row ? fromRow( row ) : null;
	}

	return {
		/**
		 * The person behind `authorization` (`Bearer <room token>`), who must be in `room` now.
		 *
		 * @throws AppError unauthenticated (no or invalid token), forbidden (another room, or waiting / not connected).
		 */
		actor( authorization: string | undefined, room: string ): RoomActor {
			const token = /^Bearer\s+(\S+)$/i.exec( authorization ?? '' )?.[ 1 ];
			if ( ! token ) {
				throw new AppError( 'unauthenticated', { message: 'Please rejoin the consultation to share files.' } );
			}
			let claims: RoomClaims;
			try {
				claims = deps.tickets.verify( token );
			} catch {
				throw new AppError( 'unauthenticated', { message: 'This room link has expired. Please try again.' } );
			}
			if ( claims.room !== room ) {
				throw new AppError( 'forbidden', { message: "You don't have access to this consultation." } );
			}
			const peer = deps.hub.present( room, claims.pk );
			if ( ! peer ) {
				throw new AppError( 'forbidden', { message: 'Only people in the consultation can share and download its files.' } );
			}
			return { claims, peer };
		},

		/** The most a room file may have, bytes (`max_upload_size`, MB). */
		async maxBytes(): Promise< number > {
			const settings = await deps.settings.get();
			if ( ! settings.enable_chat ) {
				throw new AppError( 'forbidden', { message: 'Sharing files is part of the chat, which is turned off on this site.' } );
			}
			return settings.max_upload_size * 1024 * 1024;
		},

		/**
		 * Stores a file and tells the room.
		 *
		 * @throws AppError invalid_request (empty), payload_too_large (over `max_upload_size`),
		 *   file_type_not_allowed (415); nothing is stored then.
		 */
		async upload( actor: RoomActor, givenName: string, bytes: Buffer, maxBytes: number ): Promise< RoomFile > {
			if ( bytes.length > maxBytes ) {
				throw tooLarge( maxBytes );
			}
			if ( bytes.length === 0 ) {
				throw new AppError( 'invalid_request', { message: 'The file is empty.' } );
			}
			const mime = sniffFileType( bytes, givenName );
			if ( ! mime ) {
				throw new AppError( 'file_type_not_allowed' );
			}
			const name = safeFileName( givenName, mime );
			const storageKey = randomBytes( 16 ).toString( 'hex' );
			const { key, wrapped } = deps.store.newKey();
			await deps.store.putBuffer( storageKey, 'file', key, bytes );
			const now = deps.clock();
			let id: number;
			try {
				[ id ] = ( await knex( t.roomFiles ).insert( {
					consultation_id: actor.claims.cid,
					uploaded_by: actor.claims.pk,
					uploader_name: actor.peer.name.slice( 0, 250 ),
					name,
					mime,
					size: bytes.length,
					storage_key: storageKey,
					wrapped_key: wrapped,
					created_at: toSqlDateTime( now ),
				} ) ) as [ number ];
			} catch ( error ) {
				await deps.store.remove( storageKey );
				throw error;
			}
			id = Number( id );
			deps.hub.fileShared( actor.claims.room, actor.claims.pk, { id, name, size: bytes.length, mime } );
			return { id, name, size: bytes.length, mime, created_at: now.toISOString() };
		},

		/**
		 * A download link for a file of the actor's consultation.
		 *
		 * @throws AppError not_found (no such file in this consultation).
		 */
		async link( actor: RoomActor, id: number ): Promise< RoomFileLink > {
			const file = await find( id );
			if ( ! file || file.consultationId !== actor.claims.cid ) {
				throw new AppError( 'not_found', { message: 'This file is not part of this consultation.' } );
			}
			// Wall-clock time, as the download route checks it (links live in real time, like media links).
			const exp = Math.floor( Date.now() / 1000 ) + ROOM_FILE_LINK_SECONDS;
			const query = new URLSearchParams( { exp: String( exp ), sig: sign( actor.claims.room, id, exp ) } );
			return { url: `/rooms/${ actor.claims.room }/files/${ id }?${ query }`, expires_at: new Date( exp * 1000 ).toISOString() };
		},

		/**
		 * The bytes behind a signed link.
		 *
		 * @throws AppError forbidden (bad or expired link), not_found (deleted).
		 */
		async open( room: string, id: number, exp: number, signature: string, now: Date ): Promise< { file: StoredRoomFile; stream: Readable } > {
			const expected = Buffer.from( sign( room, id, exp ) );
			const given = Buffer.from( signature );
			if ( given.length !== expected.length || ! timingSafeEqual( given, expected ) ) {
				throw new AppError( 'forbidden', { message: 'This link is not valid.' } );
			}
			if ( exp * 1000 < now.getTime() ) {
				throw new AppError( 'forbidden', { message: 'This link has expired. Click the file in the chat again.' } );
			}
			const file = await find( id );
			if ( ! file ) {
				throw new AppError( 'not_found', { message: 'This file was deleted.' } );
			}
			const { stream } = await deps.store.read( file.storageKey, 'file', deps.store.unwrap( file.wrappedKey ) );
			return { file, stream };
		},
	};
}

/** 413 with the limit in the message. */
export function tooLarge( maxBytes: number ): AppError {
	const mb = Math.round( maxBytes / ( 1024 * 1024 ) );
	return new AppError( 'payload_too_large', { message: `This file is too large. Files shared in the room can be at most ${ mb } MB.`, data: { max_bytes: maxBytes } } );
}

export type RoomFiles = ReturnType< typeof createRoomFiles >;

/**
 * Recordings at rest: one folder per recording under the store directory (outside any web root),
 * every file encrypted with a key of its own.
 *
 * Each recording gets a random 256-bit data key, kept in the database only wrapped (AES-256-GCM)
 * by BKX_VIDEO_ENCRYPTION_KEY; each of its files (video, poster, transcript) is encrypted with a key
 * derived from it by HKDF. A file is a 20-byte header followed by chunks of 64 KiB of plaintext,
 * each sealed with AES-256-GCM (nonce = chunk index, additional data = index and a "last chunk"
 * flag, so chunks cannot be reordered, dropped or the file cut short unnoticed). Chunks are what
 * make HTTP Range cheap: serving bytes N..M decrypts only the chunks that hold them.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { decryptSecret, encryptSecret } from '../crypto';

/** `file`: a file shared in the built-in room (rooms/room-files.ts uses this store in a folder of its own). */
export type StoredFileKind = 'video' | 'poster' | 'transcript' | 'file';

const MAGIC = Buffer.from( 'BKXE' );
const VERSION = 1;
const HEADER = 20;
export const CHUNK = 64 * 1024;
const TAG = 16;

function chunkCount( size: number ): number {
	return Math.max( 1, Math.ceil( size / CHUNK ) );
}

function nonce( index: number ): Buffer {
	const n = Buffer.alloc( 12 );
	n.writeBigUInt64BE( BigInt( index ), 4 );
	return n;
}

function aad( index: number, last: boolean ): Buffer {
	const a = Buffer.alloc( 9 );
	a.writeBigUInt64BE( BigInt( index ), 0 );
	a[ 8 ] = last ? 1 : 0;
	return a;
}

function fileKey( dataKey: Buffer, kind: StoredFileKind ): Buffer {
	return Buffer.from( hkdfSync( 'sha256', dataKey, Buffer.alloc( 0 ), `bkx-video-recording:${ kind }`, 32 ) );
}

/** Thrown when a stored file does not decrypt: wrong key, or the file was changed or cut. */
export class StoreIntegrityError extends Error {
	override name = 'StoreIntegrityError';
}

export interface RecordingStore {
	/** The folder that holds the stored recordings. */
	readonly dir: string;
	/** A new data key for a recording: the key and its wrapped form for the database. */
	newKey(): { key: Buffer; wrapped: string };
	/** @throws Error when the wrapped key was not made with this sidecar's encryption key. */
	unwrap( wrapped: string ): Buffer;
	/** Encrypts the file at `source` into the recording's folder (atomically); returns the plaintext size. */
	put( storageKey: string, kind: StoredFileKind, dataKey: Buffer, source: string ): Promise< number >;
	/** Encrypts `size` bytes arriving in pieces (a file rearranged on the way, see recordings/mp4.ts). */
	putStream( storageKey: string, kind: StoredFileKind, dataKey: Buffer, pieces: AsyncIterable< Buffer >, size: number ): Promise< number >;
	/** Encrypts bytes held in memory (transcripts). */
	putBuffer( storageKey: string, kind: StoredFileKind, dataKey: Buffer, data: Buffer ): Promise< number >;
	/**
	 * Plaintext bytes `start`..`end` (inclusive) of a stored file, decrypted as they are read.
	 * The stream errors with {@link StoreIntegrityError} if the file was tampered with.
	 */
	read( storageKey: string, kind: StoredFileKind, dataKey: Buffer, range?: { start: number; end: number } ): Promise< { size: number; stream: Readable } >;
	/** Removes every file of the recording (idempotent). */
	remove( storageKey: string ): Promise< void >;
}

export function createRecordingStore( dir: string, masterKey: Buffer ): RecordingStore {
	const folder = ( storageKey: string ) => {
		// Keys are ours (random hex), never a path from a request; refuse anything else anyway.
		if ( ! /^[a-f0-9]{16,64}$/.test( storageKey ) ) {
			throw new Error( `Not a storage key: ${ storageKey.slice( 0, 70 ) }` );
		}
		return join( dir, storageKey );
	};
	const pathOf = ( storageKey: string, kind: StoredFileKind ) => join( folder( storageKey ), `${ kind }.enc` );

	async function write( storageKey: string, kind: StoredFileKind, dataKey: Buffer, chunks: AsyncIterable< Buffer >, size: number ): Promise< number > {
		const key = fileKey( dataKey, kind );
		await mkdir( folder( storageKey ), { recursive: true, mode: 0o700 } );
		const target = pathOf( storageKey, kind );
		const temp = `${ target }.${ randomBytes( 4 ).toString( 'hex' ) }.part`;
		const out = await open( temp, 'w', 0o600 );
		try {
			const header = Buffer.alloc( HEADER );
			MAGIC.copy( header, 0 );
			header[ 4 ] = VERSION;
			header.writeUInt32BE( CHUNK, 8 );
			header.writeBigUInt64BE( BigInt( size ), 12 );
			// Sealed chunks are written in batches of about 1 MB: one writev per batch, not one write
			// per chunk, and no copy into a batch buffer. Larger batches are slower here (measured:
			// 4 MB took twice as long for 338 MB): what was just sealed is still in the CPU cache
			// when a 1 MB batch is written, and no longer at 4 MB.
			let batch: Buffer[] = [ header ];
			let batched = HEADER;
			let position = 0;
			const flush = async () => {
				if ( batched ) {
					await out.writev( batch, position );
					position += batched;
					batch = [];
					batched = 0;
				}
			};
			const total = chunkCount( size );
			let index = 0;
			let seen = 0;
			const seal = async ( plain: Buffer ) => {
				const cipher = createCipheriv( 'aes-256-gcm', key, nonce( index ) );
				cipher.setAAD( aad( index, index === total - 1 ) );
				batch.push( cipher.update( plain ), cipher.final(), cipher.getAuthTag() );
				batched += plain.length + TAG;
				index++;
				if ( batched >= 1024 * 1024 ) {
					await flush();
				}
			};
			// Full chunks are sealed straight from the pieces read; only a chunk that spans two pieces
			// is copied together (at most 64 KiB per piece).
			let pending: Buffer | null = null;
			for await ( const piece of chunks ) {
				seen += piece.length;
				let at = 0;
				if ( pending ) {
					const take = Math.min( CHUNK - pending.length, piece.length );
					pending = Buffer.concat( [ pending, piece.subarray( 0, take ) ] );
					at = take;
					if ( pending.length < CHUNK || index === total - 1 ) {
						continue;
					}
					await seal( pending );
					pending = null;
				}
				while ( piece.length - at >= CHUNK && index < total - 1 ) {
					await seal( piece.subarray( at, at + CHUNK ) );
					at += CHUNK;
				}
				if ( at < piece.length ) {
					pending = piece.subarray( at );
				}
			}
			if ( seen !== size ) {
				throw new Error( `The file changed while it was stored (${ seen } bytes read, ${ size } expected).` );
			}
			await seal( pending ?? Buffer.alloc( 0 ) );
			await flush();
			// On disk before the work file is deleted and the recording is called available.
			await out.sync();
		} catch ( error ) {
			await out.close();
			await rm( temp, { force: true } );
			throw error;
		}
		await out.close();
		await rename( temp, target );
		return size;
	}

	return {
		dir,
		newKey() {
			const key = randomBytes( 32 );
			return { key, wrapped: encryptSecret( masterKey, key.toString( 'base64' ) ) };
		},
		unwrap( wrapped ) {
			return Buffer.from( decryptSecret( masterKey, wrapped ), 'base64' );
		},
		async put( storageKey, kind, dataKey, source ) {
			const { size } = await stat( source );
			return write( storageKey, kind, dataKey, createReadStream( source, { highWaterMark: 1024 * 1024 } ), size );
		},
		putStream( storageKey, kind, dataKey, pieces, size ) {
			return write( storageKey, kind, dataKey, pieces, size );
		},
		async putBuffer( storageKey, kind, dataKey, data ) {
			return write( storageKey, kind, dataKey, ( async function* () {
				yield data;
			} )(), data.length );
		},
		async read( storageKey, kind, dataKey, range ) {
			const key = fileKey( dataKey, kind );
			const file = await open( pathOf( storageKey, kind ), 'r' );
			const header = Buffer.alloc( HEADER );
			await file.read( header, 0, HEADER, 0 );
			if ( ! header.subarray( 0, 4 ).equals( MAGIC ) || header[ 4 ] !== VERSION || header.readUInt32BE( 8 ) !== CHUNK ) {
				await file.close();
				throw new StoreIntegrityError( 'Not a stored recording file.' );
			}
			const size = Number( header.readBigUInt64BE( 12 ) );
			const start = range?.start ?? 0;
			const end = Math.min( range?.end ?? size - 1, size - 1 );
			const total = chunkCount( size );
			async function* chunks(): AsyncGenerator< Buffer > {
				try {
					if ( end < start ) {
						return;
					}
					for ( let index = Math.floor( start / CHUNK ); index <= Math.floor( end / CHUNK ); index++ ) {
						const plainLength = index === total - 1 ? size - index * CHUNK : CHUNK;
						const sealed = Buffer.alloc( plainLength + TAG );
						const { bytesRead } = await file.read( sealed, 0, sealed.length, HEADER + index * ( CHUNK + TAG ) );
						if ( bytesRead !== sealed.length ) {
							throw new StoreIntegrityError( 'The stored recording file is shorter than its header says.' );
						}
						const decipher = createDecipheriv( 'aes-256-gcm', key, nonce( index ) );
						decipher.setAAD( aad( index, index === total - 1 ) );
						decipher.setAuthTag( sealed.subarray( plainLength ) );
						let plain: Buffer;
						try {
							plain = Buffer.concat( [ decipher.update( sealed.subarray( 0, plainLength ) ), decipher.final() ] );
						} catch ( error ) {
							throw new StoreIntegrityError( `The stored recording file does not decrypt (chunk ${ index }): ${ String( error ) }` );
						}
						const from = index * CHUNK;
						yield plain.subarray( Math.max( 0, start - from ), Math.min( plain.length, end - from + 1 ) );
					}
				} finally {
					await file.close();
				}
			}
			return { size, stream: Readable.from( chunks(), { objectMode: false } ) };
		},
		async remove( storageKey ) {
			await rm( folder( storageKey ), { recursive: true, force: true } );
		},
	};
}

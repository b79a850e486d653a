/**
 * Recordings made in the built-in room (issue 6): the host's browser uploads its MediaRecorder
 * chunks here (contracts/room-recording.ts), and the joined file goes into the usual pipeline
 * (recordings/pipeline.ts `process`: MP4 H.264/AAC faststart, poster, encrypted store, `available`).
 *
 * - Open: only the host who started the room's current take (rooms/room-recording.ts: everyone in
 *   the room has consented to it) may open its upload; one recordings row per take (platform
 *   `webrtc`, `platform_recording_id` = the take, status `downloading` while the bytes arrive), so
 *   a repeated open finds the same row. The upload token that comes back names that row only.
 * - Chunks: `<work>/room-upload-<id>/<n>.part`, written under a temporary name and renamed, so a
 *   retried chunk replaces itself and an interrupted one leaves nothing half written. Bounded per
 *   chunk, per recording (BKX_VIDEO_ROOM_RECORDING_MAX_MB) and in rate.
 * - Finish: every chunk 0…n-1 present → joined in order into `<work>/recording-<id>.source` (the
 *   name pipeline.ts reads) → `processing` and a `recording.process` job.
 * - A take that stops without a finish (the host's tab closed) is finished by the
 *   `room_recording.finalize` job from the chunks that arrived in order; a take that never sent
 *   a chunk is `failed` (the spec's `recording_failed`; the session data is kept).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hkdfSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pipeline as pump } from 'node:stream/promises';

import type { FastifyBaseLogger } from 'fastify';

import { ROOM_RECORDING_LIMITS, type RoomRecordingChunk, type RoomRecordingFinished, type RoomRecordingOpen, type RoomRecordingUpload } from '@bkx-video/contracts';

import { AppError } from '../errors';
import { createHs256Signer, createHs256Verifier } from '../hs256';
import type { ConsultationsRepository } from '../repositories/consultations-repository';
import type { QueueRepository } from '../repositories/queue-repository';
import type { Recording, RecordingsRepository } from '../repositories/recordings-repository';
import type { TakeState } from '../rooms/room-recording';
import type { RoomClaims } from '../rooms/room-tickets';
import type { RecordingStore } from './store';

/** A take that stopped is finished from what arrived this long after, unless the host finished it. */
export const FINALIZE_AFTER_STOP_SECONDS = 120;

interface UploadClaims {
	typ: 'room-recording';
	/** Recording id. */
	rid: number;
	cid: number;
	room: string;
	iat: number;
	exp: number;
}

export interface RoomUploadsDeps {
	recordings: RecordingsRepository;
	consultations: ConsultationsRepository;
	queue: QueueRepository;
	store: RecordingStore;
	/** The room's current take (the hub's, on this instance). */
	takeOf: ( roomId: string ) => TakeState | null;
	/** Participant keys whose consent to a take is stored. */
	consentsOf: ( consultationId: number, take: string ) => Promise< string[] >;
	workDir: string;
	secret: string;
	maxBytes: number;
	clock: () => Date;
	log: FastifyBaseLogger;
	nudge: () => void;
}

/** A token bucket per upload: `rate` per second, up to `burst` (monotonic clock). */
function bucket( rate: number, burst: number ) {
	let tokens = burst;
	let at = performance.now();
	return () => {
		const t = performance.now();
		tokens = Math.min( burst, tokens + ( ( t - at ) / 1000 ) * rate );
		at = t;
		if ( tokens < 1 ) {
			return false;
		}
		tokens -= 1;
		return true;
	};
}

export function createRoomUploads( deps: RoomUploadsDeps ) {
	const { recordings, queue, clock, log } = deps;
	const key = Buffer.from( hkdfSync( 'sha256', deps.secret, Buffer.alloc( 0 ), 'bkx-video-room-recording', 32 ) ).toString( 'base64' );
	const sign = createHs256Signer( key );
	const verifyHs256 = createHs256Verifier( key );
	const limits = { ...ROOM_RECORDING_LIMITS, maxBytes: deps.maxBytes };
	const dirOf = ( id: number ) => join( deps.workDir, `room-upload-${ id }` );
	// pipeline.ts reads the file to process from here.
	const sourceOf = ( id: number ) => join( deps.workDir, `recording-${ id }.source` );

	/** Chunk sizes per upload on this instance (read from disk once, e.g. after a restart). */
	const sizes = new Map< number, Map< number, number > >();
	const rates = new Map< number, () => boolean >();
	/** One join at a time per recording on this instance (finish and the finalize job). */
	const joining = new Map< number, Promise< unknown > >();

	async function chunksOnDisk( id: number ): Promise< Map< number, number > > {
		let known = sizes.get( id );
		if ( known ) {
			return known;
		}
		known = new Map();
		const names = await readdir( dirOf( id ) ).catch( () => [] as string[] );
		for ( const name of names ) {
			const m = /^(\d+)\.part$/.exec( name );
			if ( m ) {
				known.set( Number( m[ 1 ] ), ( await stat( join( dirOf( id ), name ) ) ).size );
			}
		}
		sizes.set( id, known );
		return known;
	}

	const total = ( chunks: Map< number, number > ) => [ ...chunks.values() ].reduce( ( a, b ) => a + b, 0 );

	async function forget( id: number ): Promise< void > {
		sizes.delete( id );
		rates.delete( id );
		await rm( dirOf( id ), { recursive: true, force: true } );
	}

	/** Joins chunks 0…count-1 into the pipeline's source file and hands the row to `recording.process`. */
	async function join_( recording: Recording, count: number ): Promise< boolean > {
		const previous = joining.get( recording.id ) ?? Promise.resolve();
		const run = previous.then( async () => {
			const fresh = await recordings.findById( recording.id );
			if ( ! fresh || fresh.status !== 'downloading' ) {
				return false;
			}
			const source = sourceOf( recording.id );
			const out = createWriteStream( source, { mode: 0o600 } );
			try {
				for ( let n = 0; n < count; n++ ) {
					await pump( createReadStream( join( dirOf( recording.id ), `${ n }.part` ) ), out, { end: false } );
				}
			} finally {
				await new Promise< void >( ( resolve ) => out.end( resolve ) );
			}
			const now = clock();
			const moved = await recordings.transition( recording.id, 'downloading', { status: 'processing', error: null }, now );
			if ( moved ) {
				await queue.enqueueJob( 'recording.process', { recordingId: recording.id }, `recording.process:${ recording.id }`, now, now );
				deps.nudge();
				await forget( recording.id );
			}
			return moved;
		} );
		joining.set( recording.id, run );
		try {
			return await run;
		} finally {
			if ( joining.get( recording.id ) === run ) {
				joining.delete( recording.id );
			}
		}
	}

	function grant( token: string, id: number ): UploadClaims {
		let claims: Record< string, unknown >;
		try {
			claims = verifyHs256( token );
		} catch {
			throw new AppError( 'unauthenticated', { message: 'This upload link is not valid.' } );
		}
		if ( claims.typ !== 'room-recording' || claims.rid !== id || typeof claims.exp !== 'number' ) {
			throw new AppError( 'forbidden', { message: 'This upload link is for another recording.' } );
		}
		if ( claims.exp * 1000 < clock().getTime() ) {
			throw new AppError( 'unauthenticated', { message: 'This upload link has expired.' } );
		}
		return claims as unknown as UploadClaims;
	}

	async function uploading( id: number ): Promise< Recording > {
		const recording = await recordings.findById( id );
		if ( ! recording ) {
			throw new AppError( 'not_found', { message: 'This recording does not exist or was deleted.' } );
		}
		if ( recording.status !== 'downloading' ) {
			throw new AppError( 'conflict', { message: 'This recording is finished; it takes no more chunks.', data: { recording_status: recording.status } } );
		}
		return recording;
	}

	return {
		limits,

		/**
		 * Opens (or finds again) the upload of the room's current take for the host who started it.
		 *
		 * @throws AppError forbidden (not a host, not the take's host), not_found (not this room's
		 *         consultation), conflict (no such take on now, or it was finished already).
		 */
		async open( claims: RoomClaims, body: RoomRecordingOpen ): Promise< RoomRecordingUpload > {
			if ( claims.role !== 'host' ) {
				throw new AppError( 'forbidden', { message: 'Only the host records the consultation.' } );
			}
			const consultation = await deps.consultations.findById( claims.cid, { fresh: true } );
			if ( ! consultation || consultation.platform !== 'webrtc' || consultation.meetingId !== claims.room ) {
				throw new AppError( 'not_found', { message: 'This room is not a consultation of this site.' } );
			}
			const take = deps.takeOf( claims.room );
			if ( ! take || take.take !== body.take ) {
				throw new AppError( 'conflict', { message: 'This recording is not on in the room: everyone must consent first.' } );
			}
			if ( take.byKey !== claims.pk ) {
				throw new AppError( 'forbidden', { message: 'Only the host who started this recording can upload it.' } );
			}
			// No byte is kept before every consent the room counted is stored (the writes are async).
			const stored = new Set( await deps.consentsOf( consultation.id, body.take ) );
			if ( ! take.active || take.consented.some( ( k ) => ! stored.has( k ) ) ) {
				throw new AppError( 'conflict', { message: 'The consents to this recording are not all recorded yet; try again in a moment.', retryAfter: 1 } );
			}
			const now = clock();
			const [ row ] = await recordings.addFromPlatform(
				[
					{
						consultationId: consultation.id,
						platform: 'webrtc',
						platformRecordingId: body.take,
						platformMeetingUuid: claims.room,
						recordingType: 'room',
						fileType: body.mime_type.includes( 'mp4' ) ? 'MP4' : 'WEBM',
						sourceSize: null,
						storageKey: randomBytes( 16 ).toString( 'hex' ),
						wrappedKey: deps.store.newKey().wrapped,
					},
				],
				now
			);
			if ( ! row || row.status !== 'downloading' ) {
				throw new AppError( 'conflict', { message: 'This recording is finished already.' } );
			}
			// Opened again (a lost answer) is fine; from a new page after chunks came it is not: its
			// recorder starts a new file, which cannot follow the old one's bytes.
			if ( row.createdAt.getTime() < now.getTime() - 1000 && ( await chunksOnDisk( row.id ) ).size > 0 ) {
				throw new AppError( 'conflict', { message: 'This recording already has parts from another page; start a new recording.' } );
			}
			const iat = Math.floor( now.getTime() / 1000 );
			const exp = iat + limits.maxSeconds + 900;
			// A safety net: however the page went away, the take is finished from what arrived.
			await queue.enqueueJob( 'room_recording.finalize', { recordingId: row.id }, `room_recording.finalize:${ row.id }:deadline`, new Date( exp * 1000 ), now );
			await mkdir( dirOf( row.id ), { recursive: true, mode: 0o700 } );
			log.info( { recordingId: row.id, consultationId: consultation.id, take: body.take, mime: body.mime_type }, 'room recording upload opened' );
			const claimsOut: UploadClaims = { typ: 'room-recording', rid: row.id, cid: consultation.id, room: claims.room, iat, exp };
			return {
				recording_id: row.id,
				upload_token: sign( claimsOut ),
				expires_at: new Date( exp * 1000 ).toISOString(),
				chunk_max_bytes: limits.chunkMaxBytes,
				max_bytes: limits.maxBytes,
				max_seconds: limits.maxSeconds,
			};
		},

		/**
		 * Stores chunk `n` (a retry replaces it).
		 *
		 * @throws AppError unauthenticated/forbidden (token), not_found, conflict (finished),
		 *         invalid_request (empty, index out of range), payload_too_large, rate_limited.
		 */
		async chunk( token: string, id: number, n: number, body: Buffer | undefined ): Promise< RoomRecordingChunk > {
			grant( token, id );
			let allow = rates.get( id );
			if ( ! allow ) {
				allow = bucket( limits.chunksPerSecond, limits.burst );
				rates.set( id, allow );
			}
			if ( ! allow() ) {
				throw new AppError( 'rate_limited', { retryAfter: 1 } );
			}
			if ( ! Number.isInteger( n ) || n < 0 || n >= limits.maxChunks ) {
				throw new AppError( 'invalid_request', { message: `The chunk number must be between 0 and ${ limits.maxChunks - 1 }.` } );
			}
			if ( ! Buffer.isBuffer( body ) || body.length === 0 ) {
				throw new AppError( 'invalid_request', { message: 'The chunk is empty (send the bytes as application/octet-stream).' } );
			}
			if ( body.length > limits.chunkMaxBytes ) {
				throw new AppError( 'payload_too_large', { message: 'This chunk is too large.' } );
			}
			await uploading( id );
			const chunks = await chunksOnDisk( id );
			const after = total( chunks ) - ( chunks.get( n ) ?? 0 ) + body.length;
			if ( after > limits.maxBytes ) {
				throw new AppError( 'payload_too_large', { message: 'The recording has reached its largest allowed size.', data: { max_bytes: limits.maxBytes } } );
			}
			await mkdir( dirOf( id ), { recursive: true, mode: 0o700 } );
			const temp = join( dirOf( id ), `${ n }.part.${ randomBytes( 4 ).toString( 'hex' ) }` );
			await writeFile( temp, body, { mode: 0o600 } );
			await rename( temp, join( dirOf( id ), `${ n }.part` ) );
			chunks.set( n, body.length );
			return { chunk: n, received: chunks.size, bytes: total( chunks ) };
		},

		/**
		 * Joins chunks 0…count-1 and queues processing; again after that answers the row's status.
		 *
		 * @throws AppError conflict with `data.missing` (the first chunk numbers not received).
		 */
		async finish( token: string, id: number, count: number ): Promise< RoomRecordingFinished > {
			grant( token, id );
			const recording = await recordings.findById( id );
			if ( ! recording ) {
				throw new AppError( 'not_found', { message: 'This recording does not exist or was deleted.' } );
			}
			if ( recording.status !== 'downloading' ) {
				return { recording_id: id, status: recording.status };
			}
			const chunks = await chunksOnDisk( id );
			const missing: number[] = [];
			for ( let n = 0; n < count && missing.length < 50; n++ ) {
				if ( ! chunks.has( n ) ) {
					missing.push( n );
				}
			}
			if ( missing.length ) {
				throw new AppError( 'conflict', { message: 'Some chunks have not arrived; send them, then finish again.', data: { missing } } );
			}
			await join_( recording, count );
			const after = await recordings.findById( id );
			log.info( { recordingId: id, chunks: count }, 'room recording uploaded' );
			return { recording_id: id, status: after?.status ?? 'processing' };
		},

		/** The take stopped: finish its upload from what arrived if the host does not (tab closed). */
		async stopped( consultationId: number, roomId: string, take: string ): Promise< void > {
			const rows = await recordings.listForInstance( consultationId, roomId );
			const now = clock();
			for ( const row of rows.filter( ( r ) => r.platformRecordingId === take && r.status === 'downloading' ) ) {
				await queue.enqueueJob( 'room_recording.finalize', { recordingId: row.id }, `room_recording.finalize:${ row.id }:stopped`, new Date( now.getTime() + FINALIZE_AFTER_STOP_SECONDS * 1000 ), now );
			}
		},

		/**
		 * `room_recording.finalize`: an upload left open is finished from its chunks in order up to
		 * the first gap; with none it is `failed` (recording_failed; the consultation is untouched).
		 */
		async finalize( payload: { recordingId: number } ): Promise< void > {
			const recording = await recordings.findById( payload.recordingId );
			if ( ! recording || recording.status !== 'downloading' ) {
				return;
			}
			sizes.delete( recording.id );
			const chunks = await chunksOnDisk( recording.id );
			let count = 0;
			while ( chunks.has( count ) ) {
				count++;
			}
			if ( count === 0 ) {
				await recordings.update( recording.id, { status: 'failed', error: 'The room recording was never uploaded (no first chunk).' }, clock() );
				await forget( recording.id );
				log.warn( { recordingId: recording.id }, 'room recording without chunks; marked failed' );
				return;
			}
			if ( count < chunks.size ) {
				log.warn( { recordingId: recording.id, kept: count, received: chunks.size }, 'room recording finished up to a missing chunk' );
			}
			await join_( recording, count );
			log.info( { recordingId: recording.id, chunks: count }, 'room recording finished without the host (upload left open)' );
		},
	};
}

export type RoomUploads = ReturnType< typeof createRoomUploads >;

/**
 * The recordings pipeline (docs/architecture.md, "Recordings"): a platform says a recording is
 * ready → one row per file and a download job → the file streamed to disk (resumable) and its size
 * checked → ffmpeg makes it streamable (and watermarks it), a poster frame is taken → both are
 * encrypted into the store → the row is `available` until retention removes it. Transcripts (VTT)
 * are stored beside the video and their text kept for search. Each step is a job (`_jobs`), so it
 * survives a crash, is retried with backoff and runs once whichever instance takes it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { FastifyBaseLogger } from 'fastify';

import { decryptSecret, encryptSecret } from '../crypto';
import type { JobContext } from '../jobs/workers';
import { downloadToFile } from '../platforms/_shared/download';
import { createPlatform } from '../platforms/registry';
import { PlatformError, type PlatformEnv, type RemoteRecordingFile } from '../platforms/video-platform';
import { zoomRecordingFiles } from '../platforms/zoom/adapter';
import type { AuditLogRepository } from '../repositories/audit-log-repository';
import type { Consultation, ConsultationsRepository } from '../repositories/consultations-repository';
import type { QueueRepository } from '../repositories/queue-repository';
import type { Recording, RecordingsRepository } from '../repositories/recordings-repository';
import { meetingOf } from '../services/booking-sync';
import type { SettingsService } from '../services/settings-service';
import { makePoster, makeStreamable, MediaError, probeSource, vttText, type MediaTools } from './media';
import { readMp4 } from './mp4';
import type { RecordingStore } from './store';

/** Video (or, without one, audio) files become recordings; other file types are not kept. */
const MEDIA_TYPES = [ 'MP4', 'M4A' ];
/** Largest transcript taken (a day-long meeting's VTT is a few MB). */
const MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024;

export interface PipelineDeps {
	recordings: RecordingsRepository;
	consultations: ConsultationsRepository;
	settings: SettingsService;
	queue: QueueRepository;
	store: RecordingStore;
	audit: AuditLogRepository;
	tools: MediaTools;
	/** Work files (downloads in progress, ffmpeg output) live here until stored. */
	workDir: string;
	encryptionKey: Buffer;
	platformEnv: PlatformEnv;
	siteUrl: string;
	clock: () => Date;
	log: FastifyBaseLogger;
	/** Runs due jobs soon (the worker's nudge). */
	nudge: () => void;
}

interface DownloadPayload {
	recordingId: number;
	url: string;
	/** The platform's download credential, sealed with the encryption key (it is a bearer token). */
	token: string | null;
}

interface TranscriptPayload {
	consultationId: number;
	instance: string;
	fileId: string;
	url: string;
	token: string | null;
}

export function createRecordingsPipeline( deps: PipelineDeps ) {
	const { recordings, queue, store, clock, log } = deps;
	const seal = ( token: string | null ) => ( token ? encryptSecret( deps.encryptionKey, token ) : null );
	const unseal = ( sealed: string | null ) => ( sealed ? decryptSecret( deps.encryptionKey, sealed ) : null );
	const work = ( id: number, name: string ) => join( deps.workDir, `recording-${ id }.${ name }` );
	const removeWork = ( id: number ) => Promise.all( [ 'source', 'out.mp4', 'poster.jpg' ].map( ( n ) => rm( work( id, n ), { force: true } ) ) );

	async function fail( recording: Recording, detail: string ): Promise< void > {
		log.error( { recordingId: recording.id, consultationId: recording.consultationId, detail }, 'recording failed; the session data is kept' );
		await recordings.update( recording.id, { status: 'failed', error: detail.slice( 0, 2000 ) }, clock() );
		await removeWork( recording.id );
	}

	/** Fresh download credentials from the platform, for a file whose webhook token has expired. */
	async function freshFile( recording: Recording ): Promise< RemoteRecordingFile | null > {
		const consultation = await deps.consultations.findById( recording.consultationId, { fresh: true } );
		if ( ! consultation?.meetingId ) {
			return null;
		}
		const platform = createPlatform( consultation.platform, { ...deps.platformEnv, settings: await deps.settings.get() } );
		const files = platform ? await platform.listRecordings( meetingOf( consultation ), recording.platformMeetingUuid ?? undefined ) : [];
		return files.find( ( f ) => f.id === recording.platformRecordingId ) ?? null;
	}

	async function queueFiles( consultation: Consultation, files: RemoteRecordingFile[] ): Promise< number > {
		const now = clock();
		const ready = files.filter( ( f ) => f.status === null || f.status === 'completed' );
		// One recording per instance and view; audio only when the instance has no video.
		const media = ready.filter( ( f ) => f.fileType === 'MP4' );
		const chosen = media.length ? media : ready.filter( ( f ) => MEDIA_TYPES.includes( f.fileType ) );
		const rows = await recordings.addFromPlatform(
			chosen.map( ( f ) => ( {
				consultationId: consultation.id,
				platform: consultation.platform,
				platformRecordingId: f.id,
				platformMeetingUuid: f.instance,
				recordingType: f.recordingType,
				fileType: f.fileType,
				sourceSize: f.size,
				storageKey: randomBytes( 16 ).toString( 'hex' ),
				wrappedKey: store.newKey().wrapped,
			} ) ),
			now
		);
		for ( const row of rows ) {
			const file = chosen.find( ( f ) => f.id === row.platformRecordingId )!;
			const payload: DownloadPayload = { recordingId: row.id, url: file.downloadUrl, token: seal( file.downloadToken ) };
			await queue.enqueueJob( 'recording.download', payload, `recording.download:${ row.id }`, now, now );
		}
		for ( const f of ready.filter( ( x ) => x.fileType === 'TRANSCRIPT' ) ) {
			const payload: TranscriptPayload = { consultationId: consultation.id, instance: f.instance, fileId: f.id, url: f.downloadUrl, token: seal( f.downloadToken ) };
			await queue.enqueueJob( 'recording.transcript', payload, `recording.transcript:${ consultation.id }:${ f.id }`, now, now );
		}
		if ( rows.length || ready.some( ( f ) => f.fileType === 'TRANSCRIPT' ) ) {
			deps.nudge();
		}
		return rows.length;
	}

	async function removeRecording( recording: Recording, action: 'recording.expired' | 'recording.erased' | 'recording.deleted', actorId: number ): Promise< void > {
		await store.remove( recording.storageKey );
		await removeWork( recording.id );
		await recordings.remove( recording.id );
		await deps.audit.append(
			{ action, actorId, subjectType: 'recording', subjectId: recording.id, details: { consultation_id: recording.consultationId, platform: recording.platform } },
			clock()
		);
		log.info( { recordingId: recording.id, consultationId: recording.consultationId, action }, 'recording removed' );
	}

	return {
		removeRecording,

		/**
		 * `recording.completed` / `recording.transcript_completed` from Zoom (reference §1.6): the
		 * object's `id` is a number there. Unknown meetings are ignored (not ours).
		 */
		async fromZoom( object: Record< string, unknown >, downloadToken: string | null ): Promise< number > {
			const files = zoomRecordingFiles( object, downloadToken );
			const meetingId = String( object.id ?? '' );
			const consultation = meetingId ? await deps.consultations.findByMeeting( 'zoom', meetingId ) : null;
			if ( ! consultation ) {
				log.info( { meetingId }, 'Zoom recording of a meeting that is not ours; ignored' );
				return 0;
			}
			return queueFiles( consultation, files );
		},

		/** `recording.download`: the platform's file to `<work>/recording-<id>.source`, resuming what is there. */
		async download( payload: DownloadPayload, context: JobContext ): Promise< void > {
			const recording = await recordings.findById( payload.recordingId );
			if ( ! recording || recording.status !== 'downloading' ) {
				return;
			}
			await mkdir( deps.workDir, { recursive: true, mode: 0o700 } );
			const dest = work( recording.id, 'source' );
			const fetch = ( url: string, token: string | null ) =>
				downloadToFile( url, dest, { token: token ?? '', timeoutMs: deps.platformEnv.timeoutMs, onProgress: () => context.heartbeat() } );
			let result;
			try {
				try {
					result = await fetch( payload.url, unseal( payload.token ) );
				} catch ( error ) {
					// The webhook's token lives 24 h: after that, ask the platform for a fresh one.
					if ( ! ( error instanceof PlatformError && error.code === 'unauthorized' ) ) {
						throw error;
					}
					const fresh = await freshFile( recording );
					if ( ! fresh ) {
						throw new PlatformError( 'not_found', 'The platform no longer has this recording.' );
					}
					result = await fetch( fresh.downloadUrl, fresh.downloadToken );
				}
			} catch ( error ) {
				const gone = error instanceof PlatformError && error.code === 'not_found';
				if ( gone || context.lastAttempt ) {
					await fail( recording, `Download failed: ${ error instanceof Error ? error.message : String( error ) }` );
					return;
				}
				throw error;
			}
			if ( recording.sourceSize !== null && result.size !== recording.sourceSize ) {
				// Not what the platform announced: start over on the next attempt.
				await rm( dest, { force: true } );
				const detail = `Download incomplete: ${ result.size } of ${ recording.sourceSize } bytes.`;
				if ( context.lastAttempt ) {
					await fail( recording, detail );
					return;
				}
				throw new Error( detail );
			}
			const now = clock();
			if ( await recordings.transition( recording.id, 'downloading', { status: 'processing', error: null }, now ) ) {
				await queue.enqueueJob( 'recording.process', { recordingId: recording.id }, `recording.process:${ recording.id }`, now, now );
				deps.nudge();
			}
			log.info( { recordingId: recording.id, bytes: result.size, fetched: result.fetched }, 'recording downloaded' );
		},

		/** `recording.process`: streamable MP4 (+ watermark), poster, encrypted into the store. */
		async process( payload: { recordingId: number }, context: JobContext ): Promise< void > {
			const recording = await recordings.findById( payload.recordingId );
			if ( ! recording || recording.status !== 'processing' ) {
				return;
			}
			const source = work( recording.id, 'source' );
			if ( ! ( await stat( source ).then( () => true, () => false ) ) ) {
				await fail( recording, 'The downloaded file is missing from the work folder.' );
				return;
			}
			const settings = await deps.settings.get();
			const out = work( recording.id, 'out.mp4' );
			const poster = work( recording.id, 'poster.jpg' );
			const watermark = settings.watermark_enabled ? `${ new URL( deps.siteUrl ).host } · #${ recording.consultationId }` : null;
			let stored: { size: number; posterSize: number | null; mimeType: string; duration: number | null };
			try {
				const key = store.unwrap( recording.wrappedKey );
				// What platforms send (H.264/AAC MP4) is served as it is: moov moved to the front in the
				// pass that encrypts it, no ffmpeg run (recordings/mp4.ts). Anything else, or a watermark: ffmpeg.
				const layout = watermark ? null : await readMp4( source ).catch( () => null );
				if ( layout && ( layout.video || layout.audio ) && [ null, 'avc1', 'avc3' ].includes( layout.video ) && [ null, 'mp4a' ].includes( layout.audio ) ) {
					const posterDone = layout.video ? makePoster( deps.tools, source, poster, layout.durationSeconds ) : null;
					posterDone?.catch( () => undefined );
					const size = await store.putStream( recording.storageKey, 'video', key, layout.pieces(), layout.size );
					context.heartbeat();
					let posterSize: number | null = null;
					if ( posterDone ) {
						await posterDone;
						posterSize = await store.put( recording.storageKey, 'poster', key, poster );
					}
					stored = { size, posterSize, mimeType: layout.video ? 'video/mp4' : 'audio/mp4', duration: layout.durationSeconds };
				} else {
					const found = await probeSource( deps.tools, source );
					// A remux decodes nothing: the poster comes from the source beside it (two cores, two
					// processes). A re-encode (watermark, other codecs) cuts it from its own frames.
					const remux = ! watermark && found.video?.codec === 'h264';
					const posterFromSource = found.video && remux ? makePoster( deps.tools, source, poster, found.durationSeconds ) : null;
					posterFromSource?.catch( () => undefined );
					const media = await makeStreamable( deps.tools, source, out, watermark, found, poster );
					context.heartbeat();
					if ( posterFromSource ) {
						await posterFromSource;
					} else if ( media.hasVideo && ! media.posterMade ) {
						await makePoster( deps.tools, out, poster, media.durationSeconds );
					}
					const size = await store.put( recording.storageKey, 'video', key, out );
					const posterSize = media.hasVideo ? await store.put( recording.storageKey, 'poster', key, poster ) : null;
					stored = { size, posterSize, mimeType: media.mimeType, duration: media.durationSeconds };
				}
			} catch ( error ) {
				if ( error instanceof MediaError || context.lastAttempt ) {
					await fail( recording, `Processing failed: ${ error instanceof Error ? error.message : String( error ) }` );
					return;
				}
				throw error;
			}
			await removeWork( recording.id );
			const now = clock();
			await recordings.transition(
				recording.id,
				'processing',
				{
					status: 'available',
					fileSize: stored.size,
					posterSize: stored.posterSize,
					mimeType: stored.mimeType,
					durationSeconds: stored.duration === null ? null : Math.round( stored.duration ),
					expiryDate: new Date( now.getTime() + settings.recording_retention_days * 86_400_000 ),
					processedAt: now,
					error: null,
				},
				now
			);
			log.info( { recordingId: recording.id, consultationId: recording.consultationId, bytes: stored.size }, 'recording available' );
		},

		/** `recording.transcript`: the VTT stored (encrypted) with each recording of its meeting instance, its text kept for search. */
		async transcript( payload: TranscriptPayload, context: JobContext ): Promise< void > {
			const rows = await recordings.listForInstance( payload.consultationId, payload.instance );
			if ( ! rows.length ) {
				if ( context.lastAttempt ) {
					log.warn( { consultationId: payload.consultationId }, 'transcript without a recording of its meeting; dropped' );
					return;
				}
				throw new Error( 'No recording of this meeting yet; the transcript waits for it.' );
			}
			await mkdir( deps.workDir, { recursive: true, mode: 0o700 } );
			const dest = join( deps.workDir, `transcript-${ payload.consultationId }-${ payload.fileId.replace( /[^\w-]/g, '' ).slice( 0, 60 ) }.vtt` );
			try {
				await rm( dest, { force: true } );
				const result = await downloadToFile( payload.url, dest, { token: unseal( payload.token ) ?? '', timeoutMs: deps.platformEnv.timeoutMs } );
				if ( result.size > MAX_TRANSCRIPT_BYTES ) {
					log.warn( { consultationId: payload.consultationId, bytes: result.size }, 'transcript larger than 20 MB; not kept' );
					return;
				}
				const vtt = await readFile( dest );
				const text = vttText( vtt.toString( 'utf8' ) );
				if ( text === null ) {
					log.warn( { consultationId: payload.consultationId }, 'the transcript file is not WebVTT; not kept' );
					return;
				}
				for ( const row of rows ) {
					const size = await store.putBuffer( row.storageKey, 'transcript', store.unwrap( row.wrappedKey ), vtt );
					await recordings.update( row.id, { transcriptSize: size, transcriptText: text }, clock() );
				}
			} finally {
				await rm( dest, { force: true } );
			}
		},

		/** `recording.retention`: removes recordings past `recording_retention_days` (files, then rows). */
		async sweepRetention(): Promise< number > {
			let removed = 0;
			for ( let round = 0; round < 50; round++ ) {
				const expired = await recordings.listExpired( clock(), 100 );
				for ( const r of expired ) {
					await removeRecording( r, 'recording.expired', 0 );
				}
				removed += expired.length;
				if ( expired.length < 100 ) {
					break;
				}
			}
			return removed;
		},

		/** A customer's deletion request: every recording of their consultations, files and rows; logged. */
		async eraseForCustomer( email: string, actorId: number ): Promise< number > {
			const rows = await recordings.listForCustomerEmail( email );
			for ( const r of rows ) {
				await removeRecording( r, 'recording.erased', actorId );
			}
			return rows.length;
		},

	};
}

export type RecordingsPipeline = ReturnType< typeof createRecordingsPipeline >;

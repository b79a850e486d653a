/**
 * Who sees which recording, and how its bytes are reached. Access (policy/can.ts): admins, the
 * consultation's host, and its customer when the recording is shared with them (every recording
 * when `auto_send_recording` is on); nobody else. Bytes only through short-lived signed links.
 */
import type { IdentityClaims, RecordingFileKind, RecordingLink, RecordingView, ViewerRole } from '@bkx-video/contracts';
import { ERROR_MESSAGES } from '@bkx-video/contracts';

import { AppError } from '../errors';
import { can, viewerRole } from '../policy/can';
import type { AccessTokensRepository } from '../repositories/access-tokens-repository';
import type { ConsultationsRepository } from '../repositories/consultations-repository';
import type { Recording, RecordingListItem, RecordingsRepository } from '../repositories/recordings-repository';
import type { SettingsService } from '../services/settings-service';
import { DOWNLOAD_LINK_TTL_SECONDS, MEDIA_LINK_TTL_SECONDS, type MediaLinks } from './media-links';
import type { RecordingsPipeline } from './pipeline';
import type { RecordingStore } from './store';

interface Deps {
	store: RecordingStore;
	recordings: RecordingsRepository;
	consultations: ConsultationsRepository;
	accessTokens: AccessTokensRepository;
	settings: SettingsService;
	pipeline: RecordingsPipeline;
	links: MediaLinks;
	clock: () => Date;
}

export function createRecordingsService( deps: Deps ) {
	const { recordings, clock } = deps;

	/** The viewer's role on the recording's consultation, or the 401/403/404 to answer. */
	async function authorize( identity: IdentityClaims, id: number, accessToken: string | undefined ) {
		const recording = await recordings.findById( id );
		const consultation = recording ? await deps.consultations.findById( recording.consultationId ) : null;
		if ( ! recording || ! consultation ) {
			throw new AppError( 'not_found', { message: 'This recording does not exist or was deleted.' } );
		}
		const settings = await deps.settings.get();
		const tokenId = accessToken ? await deps.accessTokens.resolve( accessToken ) : null;
		const role = viewerRole( identity, consultation, tokenId );
		if ( ! can( identity, 'recording.view', role, { shared: recording.sharedWithCustomer || settings.auto_send_recording, available: recording.status === 'available' } ) ) {
			// Not telling a stranger whether it exists.
			throw new AppError( identity.sub === 0 && ! tokenId ? 'unauthenticated' : 'forbidden', { message: "You don't have access to this recording." } );
		}
		return { recording, consultation, role: role!, settings };
	}

	function toView(
		identity: IdentityClaims,
		r: Recording | RecordingListItem,
		role: ViewerRole,
		downloadsDisabled: boolean,
		extra: { scheduledStart: Date; customerName: string | null }
	): RecordingView {
		return {
			id: r.id,
			consultation_id: r.consultationId,
			status: r.status,
			error: r.status === 'failed' ? { code: 'recording_failed', message: ERROR_MESSAGES.recording_failed } : null,
			mime_type: r.mimeType,
			duration_seconds: r.durationSeconds,
			file_size: r.fileSize,
			has_poster: ( r.posterSize ?? 0 ) > 0,
			has_transcript: 'hasTranscript' in r ? r.hasTranscript : ( r.transcriptSize ?? 0 ) > 0,
			scheduled_start: extra.scheduledStart.toISOString(),
			customer_name: extra.customerName,
			created_at: r.createdAt.toISOString(),
			expires_at: r.expiryDate ? r.expiryDate.toISOString() : null,
			download_count: r.downloadCount,
			shared_with_customer: r.sharedWithCustomer,
			can_download: r.status === 'available' && ( role === 'admin' || ! downloadsDisabled ),
			can_manage: can( identity, 'recording.manage', role ),
		};
	}

	return {
		/**
		 * The viewer's recordings, newest first (customers: finished and shared ones only). With
		 * `customerEmail` (admins and the system only, for WordPress's personal data exporter): every
		 * recording of that customer's consultations.
		 *
		 * @throws AppError unauthenticated (401), forbidden (403) for `customerEmail` without the right.
		 */
		async list( identity: IdentityClaims, query: { consultationId?: number; search?: string; accessToken?: string; customerEmail?: string } ): Promise< RecordingView[] > {
			const exporting = query.customerEmail !== undefined;
			if ( exporting && ! can( identity, 'recording.export' ) ) {
				throw new AppError( 'forbidden', { message: 'Only administrators can export personal data.' } );
			}
			const settings = await deps.settings.get();
			const tokenConsultationId = query.accessToken ? await deps.accessTokens.resolve( query.accessToken ) : null;
			if ( identity.sub === 0 && ! tokenConsultationId && ! exporting ) {
				throw new AppError( 'unauthenticated', { message: 'Please log in to see your recordings.' } );
			}
			const admin = can( identity, 'settings.read' ) || exporting;
			const rows = await recordings.listVisible(
				{ all: admin, userId: identity.sub, email: identity.email ?? null, tokenConsultationId, customersSeeAll: settings.auto_send_recording },
				{ consultationId: query.consultationId, search: query.search, customerEmail: query.customerEmail, limit: 200 }
			);
			return rows.map( ( r ) => {
				const role = admin ? 'admin' : r.hostId === identity.sub && identity.sub > 0 ? 'host' : 'customer';
				return toView( identity, r, role, settings.disable_recording_download, r );
			} );
		},

		async get( identity: IdentityClaims, id: number, accessToken?: string ): Promise< RecordingView > {
			const { recording, consultation, role, settings } = await authorize( identity, id, accessToken );
			return toView( identity, recording, role, settings.disable_recording_download, consultation );
		},

		/**
		 * A signed link to the video, poster or transcript.
		 *
		 * @throws AppError recording_not_ready (409), recording_failed, recording_download_disabled (403), not_found.
		 */
		async link( identity: IdentityClaims, id: number, request: { kind: RecordingFileKind; download: boolean }, accessToken?: string ): Promise< RecordingLink > {
			const { recording, role, settings } = await authorize( identity, id, accessToken );
			if ( recording.status === 'failed' ) {
				throw new AppError( 'recording_failed' );
			}
			if ( recording.status !== 'available' ) {
				throw new AppError( 'recording_not_ready' );
			}
			if ( request.download && settings.disable_recording_download && role !== 'admin' ) {
				throw new AppError( 'recording_download_disabled' );
			}
			if ( ( request.kind === 'poster' && ! recording.posterSize ) || ( request.kind === 'transcript' && ! recording.transcriptSize ) ) {
				throw new AppError( 'not_found', { message: request.kind === 'poster' ? 'This recording has no picture.' : 'This recording has no transcript.' } );
			}
			if ( request.download && request.kind === 'video' ) {
				await recordings.countDownload( recording.id );
			}
			const ttl = request.download ? DOWNLOAD_LINK_TTL_SECONDS : MEDIA_LINK_TTL_SECONDS;
			const exp = Math.floor( clock().getTime() / 1000 ) + ttl;
			return { url: deps.links.url( { recordingId: recording.id, kind: request.kind, download: request.download, exp } ), expires_at: new Date( exp * 1000 ).toISOString() };
		},

		/** The host shares a recording with the customer (or stops sharing it). */
		async update( identity: IdentityClaims, id: number, patch: { shared_with_customer: boolean } ): Promise< RecordingView > {
			const { recording, consultation, role, settings } = await authorize( identity, id, undefined );
			if ( ! can( identity, 'recording.manage', role ) ) {
				throw new AppError( 'forbidden', { message: 'Only the provider or an administrator can share this recording.' } );
			}
			await recordings.update( recording.id, { sharedWithCustomer: patch.shared_with_customer }, clock() );
			return toView( identity, { ...recording, sharedWithCustomer: patch.shared_with_customer }, role, settings.disable_recording_download, consultation );
		},

		async remove( identity: IdentityClaims, id: number ): Promise< void > {
			const { recording, role } = await authorize( identity, id, undefined );
			if ( ! can( identity, 'recording.manage', role ) ) {
				throw new AppError( 'forbidden', { message: 'Only the provider or an administrator can delete this recording.' } );
			}
			await deps.pipeline.removeRecording( recording, 'recording.deleted', identity.sub );
		},

		/**
		 * A stored file for the signed media route (the link was checked there): null when the
		 * recording is gone, not finished, past its expiry, or has no such file.
		 */
		async openFile( id: number, kind: RecordingFileKind ) {
			const recording = await recordings.findById( id );
			const size = kind === 'video' ? recording?.fileSize : kind === 'poster' ? recording?.posterSize : recording?.transcriptSize;
			if ( ! recording || recording.status !== 'available' || ! size || ( recording.expiryDate && recording.expiryDate <= clock() ) ) {
				return null;
			}
			const key = deps.store.unwrap( recording.wrappedKey );
			return {
				size,
				mimeType: recording.mimeType ?? 'video/mp4',
				consultationId: recording.consultationId,
				read: async ( range?: { start: number; end: number } ) => ( await deps.store.read( recording.storageKey, kind, key, range ) ).stream,
			};
		},

		/** WordPress's personal data eraser: every recording of the customer with this e-mail. */
		async erase( identity: IdentityClaims, email: string ): Promise< number > {
			if ( ! can( identity, 'recording.erase' ) ) {
				throw new AppError( 'forbidden', { message: 'Only administrators can erase personal data.' } );
			}
			return deps.pipeline.eraseForCustomer( email, identity.sub );
		},
	};
}

export type RecordingsService = ReturnType< typeof createRecordingsService >;

/**
 * What a recording take in the built-in room leaves behind (rooms/room-recording.ts): each consent
 * stored (who, when: `{prefix}bkx_video_recording_consents`) and in the audit log
 * (`recording.consent`), the request and the stop audited too (`recording.requested`,
 * `recording.stopped`), and a stopped take's upload finished if the host's page does not.
 */
import type { FastifyBaseLogger } from 'fastify';

import type { AuditLogRepository } from '../repositories/audit-log-repository';
import type { RecordingConsentsRepository } from '../repositories/recording-consents-repository';
import type { RecordingEvent, RecordingEvents } from '../rooms/room-recording';
import type { RoomUploads } from './room-uploads';

interface Deps {
	consents: RecordingConsentsRepository;
	audit: AuditLogRepository;
	uploads: RoomUploads;
	log: FastifyBaseLogger;
}

export function createRoomRecordingEvents( deps: Deps ): RecordingEvents {
	async function apply( room: Parameters< RecordingEvents >[ 0 ], e: RecordingEvent ): Promise< void > {
		const subject = { subjectType: 'consultation', subjectId: room.consultationId };
		// Facts only: the participant key says who (no name or e-mail in the audit log).
		const details = { room: room.roomId, take: e.take, participant: e.peer.key, role: e.peer.role };
		switch ( e.kind ) {
			case 'consented':
				await deps.consents.record( { consultationId: room.consultationId, take: e.take, participantKey: e.peer.key, userId: e.peer.userId, role: e.peer.role, consentedAt: e.at } );
				await deps.audit.append( { action: 'recording.consent', actorId: e.peer.userId, ...subject, details }, e.at );
				return;
			case 'requested':
				await deps.audit.append( { action: 'recording.requested', actorId: e.peer.userId, ...subject, details }, e.at );
				return;
			case 'stopped':
				await deps.audit.append( { action: 'recording.stopped', actorId: e.peer.userId, ...subject, details: { ...details, reason: e.reason ?? null } }, e.at );
				await deps.uploads.stopped( room.consultationId, room.roomId, e.take );
				return;
			default:
				deps.log.info( { room: room.roomId, take: e.take, state: e.kind }, 'room recording state' );
		}
	}

	return ( room, event ) => {
		// The hub does not wait for the database; a failure is logged (the room goes on).
		apply( room, event ).catch( ( error: unknown ) => deps.log.error( { err: error, room: room.roomId, take: event.take, kind: event.kind }, 'room recording event not recorded' ) );
	};
}

/**
 * Recording consents in the built-in room (`{prefix}bkx_video_recording_consents`): who agreed to
 * which take, and when. Written once per person and take (a repeated consent is a no-op).
 */
import type { Knex } from 'knex';

import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export interface RecordingConsent {
	consultationId: number;
	take: string;
	/** `customer-<booking>` or `wp-<user>`. */
	participantKey: string;
	/** WordPress user id, 0 for a guest. */
	userId: number;
	role: 'host' | 'participant';
	consentedAt: Date;
}

export function createRecordingConsentsRepository( knex: Knex, t: Tables ) {
	return {
		async record( consent: RecordingConsent ): Promise< void > {
			await knex( t.recordingConsents )
				.insert( {
					consultation_id: consent.consultationId,
					take: consent.take,
					participant_key: consent.participantKey.slice( 0, 64 ),
					user_id: Math.max( 0, consent.userId ),
					role: consent.role,
					consented_at: toSqlDateTime( consent.consentedAt ),
				} )
				.onConflict( [ 'consultation_id', 'take', 'participant_key' ] )
				.ignore();
		},

		async listForTake( consultationId: number, take: string ): Promise< RecordingConsent[] > {
			const rows = ( await knex( t.recordingConsents ).where( { consultation_id: consultationId, take } ).orderBy( 'id' ) ) as Array< Record< string, unknown > >;
			return rows.map( ( r ) => ( {
				consultationId: Number( r.consultation_id ),
				take: String( r.take ),
				participantKey: String( r.participant_key ),
				userId: Number( r.user_id ),
				role: r.role === 'host' ? 'host' : 'participant',
				consentedAt: fromSqlDateTime( r.consented_at as string ) as Date,
			} ) );
		},
	};
}

export type RecordingConsentsRepository = ReturnType< typeof createRecordingConsentsRepository >;

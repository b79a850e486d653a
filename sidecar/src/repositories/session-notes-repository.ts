/**
 * Session notes (spec §5 `bkx_video_session_notes`): one row per consultation and author, saved
 * optimistically by `version`. SQL about notes lives here only.
 */
import type { Knex } from 'knex';

import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export interface StoredNotes {
	consultationId: number;
	authorId: number;
	notes: string;
	version: number;
	sharedWithCustomer: boolean;
	updatedAt: Date | null;
}

type Row = Record< string, unknown >;

const fromRow = ( r: Row ): StoredNotes => ( {
	consultationId: Number( r.consultation_id ),
	authorId: Number( r.created_by ),
	notes: String( r.notes ?? '' ),
	version: Number( r.version ?? 0 ),
	sharedWithCustomer: Number( r.is_shared_with_customer ?? 0 ) === 1,
	updatedAt: fromSqlDateTime( r.updated_at as string | null ),
} );

/** A save's outcome: the stored notes, or what another save stored first. */
export type SaveOutcome = { saved: true; notes: StoredNotes } | { saved: false; current: StoredNotes };

export function createSessionNotesRepository( knex: Knex, t: Tables ) {
	const find = async ( consultationId: number, authorId: number ): Promise< StoredNotes | null > => {
		const row = ( await knex( t.sessionNotes ).where( { consultation_id: consultationId, created_by: authorId } ).first() ) as Row | undefined;
		return row ? fromRow( row ) : null;
	};
	const empty = ( consultationId: number, authorId: number ): StoredNotes => ( {
		consultationId,
		authorId,
		notes: '',
		version: 0,
		sharedWithCustomer: false,
		updatedAt: null,
	} );

	return {
		/** The author's notes on the consultation, or an empty text at version 0. */
		async get( consultationId: number, authorId: number ): Promise< StoredNotes > {
			return ( await find( consultationId, authorId ) ) ?? empty( consultationId, authorId );
		},

		/**
		 * Stores `notes` if the stored version is still `baseVersion` (0: nothing stored yet).
		 * Never overwrites a newer save: that comes back as `{ saved: false, current }`.
		 */
		async save( consultationId: number, authorId: number, notes: string, baseVersion: number, now: Date ): Promise< SaveOutcome > {
			const at = toSqlDateTime( now );
			if ( baseVersion === 0 ) {
				try {
					await knex( t.sessionNotes ).insert( {
						consultation_id: consultationId,
						created_by: authorId,
						notes,
						is_shared_with_customer: 0,
						version: 1,
						created_at: at,
						updated_at: at,
					} );
				} catch ( error ) {
					// The unique (consultation, author) key: another tab saved first.
					if ( ( error as { code?: string } ).code !== 'ER_DUP_ENTRY' ) {
						throw error;
					}
					return { saved: false, current: ( await find( consultationId, authorId ) ) ?? empty( consultationId, authorId ) };
				}
			} else {
				const changed = await knex( t.sessionNotes )
					.where( { consultation_id: consultationId, created_by: authorId, version: baseVersion } )
					.update( { notes, updated_at: at, version: knex.raw( 'version + 1' ) } );
				if ( changed === 0 ) {
					return { saved: false, current: ( await find( consultationId, authorId ) ) ?? empty( consultationId, authorId ) };
				}
			}
			return { saved: true, notes: ( await find( consultationId, authorId ) )! };
		},
	};
}

export type SessionNotesRepository = ReturnType< typeof createSessionNotesRepository >;

/**
 * Guest access tokens, stored only as SHA-256 (docs/architecture.md §3).
 */
import type { Knex } from 'knex';

import { sha256Hex } from '../crypto';
import { toSqlDateTime } from '../db/time';
import { batched } from '../db/batch';
import type { Tables } from '../db/tables';

export function createAccessTokensRepository( knex: Knex, t: Tables ) {
	// The tokens of a burst of new consultations go out as one INSERT (src/db/batch.ts).
	const insert = batched(
		async ( rows: readonly Record< string, unknown >[] ) => {
			await knex( t.accessTokens ).insert( [ ...rows ] ).onConflict( 'token_hash' ).ignore();
			return rows.map( () => undefined );
		},
		{ waitMs: 2 }
	);
	return {
		/** Records the token's hash; a repeat is a no-op (idempotent). */
		store( token: string, consultationId: number, version: number, now: Date ): Promise< void > {
			return insert( { token_hash: sha256Hex( token ), consultation_id: consultationId, version, created_at: toSqlDateTime( now ) } );
		},

		/** Revokes every token of the consultation older than `keepVersion`. */
		async revokeOlder( consultationId: number, keepVersion: number, now: Date ): Promise< void > {
			if ( keepVersion <= 1 ) {
				// Versions start at 1: there is nothing older.
				return;
			}
			await knex( t.accessTokens )
				.update( { revoked_at: toSqlDateTime( now ) } )
				.where( 'consultation_id', consultationId )
				.andWhere( 'version', '<', keepVersion )
				.whereNull( 'revoked_at' );
		},

		/** The consultation a live token opens, or null. */
		async resolve( token: string ): Promise< number | null > {
			const row = await knex( t.accessTokens )
				.first( 'consultation_id' )
				.where( 'token_hash', sha256Hex( token ) )
				.whereNull( 'revoked_at' );
			return row ? Number( row.consultation_id ) : null;
		},
	};
}

export type AccessTokensRepository = ReturnType< typeof createAccessTokensRepository >;

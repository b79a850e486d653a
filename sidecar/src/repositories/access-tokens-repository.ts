/**
 * Guest access tokens, stored only as SHA-256 (docs/architecture.md §3).
 */
import type { Knex } from 'knex';

import { sha256Hex } from '../crypto';
import { toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export function createAccessTokensRepository( knex: Knex, t: Tables ) {
	return {
		/** Records the token's hash; a repeat is a no-op (idempotent). */
		async store( token: string, consultationId: number, version: number, now: Date ): Promise< void > {
			await knex( t.accessTokens )
				.insert( {
					token_hash: sha256Hex( token ),
					consultation_id: consultationId,
					version,
					created_at: toSqlDateTime( now ),
				} )
				.onConflict( 'token_hash' )
				.ignore();
		},

		/** Revokes every token of the consultation older than `keepVersion`. */
		async revokeOlder( consultationId: number, keepVersion: number, now: Date ): Promise< void > {
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

/**
 * Settings rows: one JSON value per key; secrets encrypted at rest (only this module decrypts).
 */
import type { Knex } from 'knex';

import {
	DEFAULT_SETTINGS,
	SettingsSchema,
	isSecretSettingKey,
	type SettingKey,
	type Settings,
} from '@bkx-video/contracts';

import { decryptSecret, encryptSecret } from '../crypto';
import { toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export function createSettingsRepository( knex: Knex, t: Tables, encryptionKey: Buffer ) {
	return {
		/**
		 * All settings: defaults overlaid with stored values. A stored value that no longer passes
		 * the schema (e.g. after an upgrade) falls back to the default instead of breaking reads.
		 */
		async load(): Promise< Settings > {
			const rows = ( await knex( t.settings ).select( 'setting_key', 'setting_value', 'is_secret' ) ) as Array< {
				setting_key: string;
				setting_value: string;
				is_secret: number;
			} >;
			const merged: Record< string, unknown > = { ...DEFAULT_SETTINGS };
			for ( const row of rows ) {
				if ( ! ( row.setting_key in DEFAULT_SETTINGS ) ) {
					continue;
				}
				const key = row.setting_key as SettingKey;
				try {
					const raw = row.is_secret ? decryptSecret( encryptionKey, row.setting_value ) : row.setting_value;
					const value: unknown = JSON.parse( raw );
					if ( SettingsSchema.shape[ key ].safeParse( value ).success ) {
						merged[ key ] = value;
					}
				} catch {
					// Undecryptable (rotated key) or corrupt: keep the default; the admin re-enters it.
				}
			}
			return merged as Settings;
		},

		/** Writes the given values (already validated) in one transaction. */
		async save( values: Partial< Record< SettingKey, unknown > >, actorId: number, now: Date ): Promise< void > {
			const ts = toSqlDateTime( now );
			await knex.transaction( async ( trx ) => {
				for ( const [ key, value ] of Object.entries( values ) ) {
					const secret = isSecretSettingKey( key );
					const json = JSON.stringify( value );
					await trx( t.settings )
						.insert( {
							setting_key: key,
							setting_value: secret ? encryptSecret( encryptionKey, json ) : json,
							is_secret: secret ? 1 : 0,
							updated_by: actorId,
							updated_at: ts,
						} )
						.onConflict( 'setting_key' )
						.merge( [ 'setting_value', 'is_secret', 'updated_by', 'updated_at' ] );
				}
			} );
		},

		async count(): Promise< number > {
			const row = await knex( t.settings ).count( { n: '*' } ).first();
			return Number( row?.n ?? 0 );
		},
	};
}

export type SettingsRepository = ReturnType< typeof createSettingsRepository >;

/**
 * Spec §5 `platforms` (credentials encrypted at rest) and our `settings` (one JSON value per key,
 * validated by the contracts schema on read and write).
 */
import { createTable, type Migration } from './helpers';

export const migration: Migration = {
	name: '202611220905-create-platforms-and-settings',
	async up( knex, t ) {
		await createTable( knex, t.platforms, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.string( 'platform_name', 50 ).notNullable().unique( { indexName: 'platform_name_unique' } );
			table.tinyint( 'is_enabled', 1 ).defaultTo( 0 );
			table.integer( 'priority' ).defaultTo( 10 );
			table.string( 'api_key', 255 ).nullable();
			table.text( 'api_secret' ).nullable();
			table.string( 'client_id', 255 ).nullable();
			table.text( 'client_secret' ).nullable();
			table.text( 'access_token' ).nullable();
			table.text( 'refresh_token' ).nullable();
			table.dateTime( 'token_expiry' ).nullable();
			table.text( 'webhook_url' ).nullable();
			table.integer( 'max_participants' ).defaultTo( 100 );
			table.integer( 'max_duration_minutes' ).defaultTo( 60 );
			table.text( 'features', 'longtext' ).nullable();
			table.text( 'config', 'longtext' ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.dateTime( 'updated_at' ).notNullable();
			table.index( [ 'is_enabled' ], 'is_enabled_idx' );
		} );
		await createTable( knex, t.settings, ( table ) => {
			table.string( 'setting_key', 64 ).primary();
			table.text( 'setting_value', 'longtext' ).notNullable();
			table.tinyint( 'is_secret', 1 ).notNullable().defaultTo( 0 );
			table.bigInteger( 'updated_by' ).unsigned().notNullable().defaultTo( 0 );
			table.dateTime( 'updated_at' ).notNullable();
		} );
	},
	async down( knex, t ) {
		await knex.schema.dropTableIfExists( t.settings );
		await knex.schema.dropTableIfExists( t.platforms );
	},
};

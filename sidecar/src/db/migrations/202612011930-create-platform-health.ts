/**
 * `platform_health`: one row per video platform whose credentials stopped working (or worked again).
 * It drives the admin notice, the one e-mail per failure episode, and the automatic repair once the
 * credentials work again (services/platform-health.ts).
 */
import { createTable, type Migration } from './helpers';

export const migration: Migration = {
	name: '202612011930-create-platform-health',
	async up( knex, t ) {
		await createTable( knex, t.platformHealth, ( table ) => {
			table.string( 'platform', 20 ).primary();
			// ok | failing
			table.string( 'status', 20 ).notNullable();
			// The adapter's sentence for the admin (what is wrong and how to fix it); never a secret.
			table.text( 'message' ).nullable();
			table.dateTime( 'first_failed_at' ).nullable();
			table.dateTime( 'last_failed_at' ).nullable();
			table.dateTime( 'recovered_at' ).nullable();
			table.dateTime( 'last_probe_at' ).nullable();
			table.dateTime( 'updated_at' ).notNullable();
			table.index( [ 'status' ], 'status_idx' );
		} );
	},
	async down( knex, t ) {
		await knex.schema.dropTableIfExists( t.platformHealth );
	},
};

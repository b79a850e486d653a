/**
 * The outbox the plugin writes (BRIEF §4), the job queue (claimed with SKIP LOCKED) and the
 * webhook dedupe table.
 */
import { createTable, type Migration } from './helpers';

export const migration: Migration = {
	name: '202611220910-create-outbox-and-jobs',
	async up( knex, t ) {
		await createTable( knex, t.events, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'booking_id' ).unsigned().notNullable();
			table.string( 'kind', 40 ).notNullable();
			table.text( 'snapshot', 'longtext' ).nullable();
			table.string( 'source_hook', 100 ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.dateTime( 'claimed_until' ).nullable();
			table.dateTime( 'processed_at' ).nullable();
			table.integer( 'attempts' ).unsigned().notNullable().defaultTo( 0 );
			table.text( 'last_error' ).nullable();
			table.index( [ 'processed_at', 'id' ], 'pending_idx' );
			table.index( [ 'booking_id' ], 'booking_id_idx' );
		} );
		await createTable( knex, t.jobs, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.string( 'kind', 64 ).notNullable();
			table.text( 'payload', 'longtext' ).notNullable();
			table.string( 'idempotency_key', 191 ).notNullable().unique( { indexName: 'idempotency_key_unique' } );
			table.string( 'status', 20 ).notNullable().defaultTo( 'queued' );
			table.dateTime( 'run_at' ).notNullable();
			table.dateTime( 'claimed_until' ).nullable();
			table.integer( 'attempts' ).unsigned().notNullable().defaultTo( 0 );
			table.integer( 'max_attempts' ).unsigned().notNullable().defaultTo( 8 );
			table.text( 'last_error' ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.dateTime( 'updated_at' ).notNullable();
			table.index( [ 'status', 'run_at' ], 'due_idx' );
		} );
		await createTable( knex, t.webhookEvents, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.string( 'platform', 50 ).notNullable();
			table.string( 'event_key', 191 ).notNullable();
			table.string( 'event_type', 100 ).notNullable();
			table.dateTime( 'received_at' ).notNullable();
			table.unique( [ 'platform', 'event_key' ], { indexName: 'platform_event_unique' } );
		} );
	},
	async down( knex, t ) {
		await knex.schema.dropTableIfExists( t.webhookEvents );
		await knex.schema.dropTableIfExists( t.jobs );
		await knex.schema.dropTableIfExists( t.events );
	},
};

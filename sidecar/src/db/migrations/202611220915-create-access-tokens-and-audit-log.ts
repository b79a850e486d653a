/**
 * Guest access tokens (stored only as SHA-256) and the audit log.
 */
import { createTable, type Migration } from './helpers';

export const migration: Migration = {
	name: '202611220915-create-access-tokens-and-audit-log',
	async up( knex, t ) {
		await createTable( knex, t.accessTokens, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.specificType( 'token_hash', 'CHAR(64)' ).notNullable().unique( { indexName: 'token_hash_unique' } );
			table.bigInteger( 'consultation_id' ).unsigned().notNullable();
			table.integer( 'version' ).unsigned().notNullable();
			table.dateTime( 'expires_at' ).nullable();
			table.dateTime( 'revoked_at' ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.index( [ 'consultation_id' ], 'consultation_id_idx' );
			table.foreign( 'consultation_id' ).references( 'id' ).inTable( t.consultations ).onDelete( 'CASCADE' );
		} );
		await createTable( knex, t.auditLog, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.string( 'action', 64 ).notNullable();
			table.bigInteger( 'actor_id' ).unsigned().notNullable().defaultTo( 0 );
			table.string( 'subject_type', 40 ).nullable();
			table.bigInteger( 'subject_id' ).unsigned().nullable();
			table.text( 'details' ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.index( [ 'subject_type', 'subject_id' ], 'subject_idx' );
			table.index( [ 'created_at' ], 'created_at_idx' );
		} );
	},
	async down( knex, t ) {
		await knex.schema.dropTableIfExists( t.auditLog );
		await knex.schema.dropTableIfExists( t.accessTokens );
	},
};

/**
 * Microsoft Graph subscriptions to the call events of our Teams meetings (issue 5): one row per
 * consultation and meeting, holding the current Graph subscription, a hash of its clientState
 * (the secret Graph echoes with each notification; the value itself is never stored), its expiry,
 * and since when the meeting has been watched without a gap (what makes its attendance known).
 * Rows stay after the subscription is deleted (state `ended`) until the sweep prunes them.
 */
import { createTable, type Migration } from './helpers';

export const migration: Migration = {
	name: '202612021000-teams-subscriptions',
	async up( knex, t ) {
		await createTable( knex, t.teamsSubscriptions, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			// Kept (NULL) when the consultation goes: the sweep still deletes its Graph subscription.
			table.bigInteger( 'consultation_id' ).unsigned().nullable();
			table.string( 'meeting_id', 255 ).notNullable();
			table.string( 'subscription_id', 100 ).nullable().unique( { indexName: 'subscription_id_unique' } );
			table.specificType( 'client_state_hash', 'char(64)' ).nullable();
			table.string( 'state', 20 ).notNullable().defaultTo( 'active' );
			table.dateTime( 'expires_at' ).nullable();
			table.dateTime( 'watched_since' ).nullable();
			table.tinyint( 'coverage_gap', 1 ).notNullable().defaultTo( 0 );
			table.text( 'last_error' ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.dateTime( 'updated_at' ).notNullable();
			table.unique( [ 'consultation_id', 'meeting_id' ], { indexName: 'consultation_meeting_unique' } );
			table.index( [ 'state', 'expires_at' ], 'state_expires_idx' );
			table.foreign( 'consultation_id', 'teams_subscriptions_consultation_fk' ).references( 'id' ).inTable( t.consultations ).onDelete( 'SET NULL' );
		} );
	},
	async down( knex, t ) {
		await knex.schema.dropTableIfExists( t.teamsSubscriptions );
	},
};

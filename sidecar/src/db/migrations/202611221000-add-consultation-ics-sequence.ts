/**
 * `ics_sequence`: the iCalendar SEQUENCE of the consultation's invitations; it grows with every
 * update or cancellation we send (RFC 5546), so calendars replace the old entry.
 */
import type { Migration } from './helpers';

export const migration: Migration = {
	name: '202611221000-add-consultation-ics-sequence',
	async up( knex, t ) {
		if ( ! ( await knex.schema.hasColumn( t.consultations, 'ics_sequence' ) ) ) {
			await knex.schema.alterTable( t.consultations, ( table ) => {
				table.integer( 'ics_sequence' ).unsigned().notNullable().defaultTo( 0 ).after( 'access_version' );
			} );
		}
	},
	async down( knex, t ) {
		if ( await knex.schema.hasColumn( t.consultations, 'ics_sequence' ) ) {
			await knex.schema.alterTable( t.consultations, ( table ) => {
				table.dropColumn( 'ics_sequence' );
			} );
		}
	},
};

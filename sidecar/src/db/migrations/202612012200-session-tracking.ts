/**
 * Session tracking (webhooks):
 * - `platform_participant_id` on participants: who a join or leave event from a platform belongs to
 *   (Zoom's `participant_uuid`, else its `user_id`), so a leave finds its join even when the events
 *   arrive out of order, and a reconnect is a second row of the same participant;
 * - an index on the consultations' `meeting_id`, which every webhook looks up.
 */
import type { Migration } from './helpers';

export const migration: Migration = {
	name: '202612012200-session-tracking',
	async up( knex, t ) {
		if ( ! ( await knex.schema.hasColumn( t.participants, 'platform_participant_id' ) ) ) {
			await knex.schema.alterTable( t.participants, ( table ) => {
				table.string( 'platform_participant_id', 191 ).nullable().after( 'consultation_id' );
				table.index( [ 'consultation_id', 'platform_participant_id' ], 'consultation_participant_idx' );
			} );
		}
		const [ indexes ] = ( await knex.raw( `SHOW INDEX FROM \`${ t.consultations }\` WHERE Key_name = 'meeting_id_idx'` ) ) as [ unknown[] ];
		if ( ! indexes.length ) {
			await knex.schema.alterTable( t.consultations, ( table ) => {
				table.index( [ 'meeting_id' ], 'meeting_id_idx' );
			} );
		}
	},
	async down( knex, t ) {
		const [ indexes ] = ( await knex.raw( `SHOW INDEX FROM \`${ t.consultations }\` WHERE Key_name = 'meeting_id_idx'` ) ) as [ unknown[] ];
		if ( indexes.length ) {
			await knex.schema.alterTable( t.consultations, ( table ) => {
				table.dropIndex( [ 'meeting_id' ], 'meeting_id_idx' );
			} );
		}
		if ( await knex.schema.hasColumn( t.participants, 'platform_participant_id' ) ) {
			await knex.schema.alterTable( t.participants, ( table ) => {
				table.dropIndex( [ 'consultation_id', 'platform_participant_id' ], 'consultation_participant_idx' );
				table.dropColumn( 'platform_participant_id' );
			} );
		}
	},
};

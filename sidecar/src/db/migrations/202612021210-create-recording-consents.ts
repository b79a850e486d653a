/**
 * Recording consent in the built-in room (issue 6): one row per person and take (one recording, from
 * a host's start to its stop), written when they agree in the room. A take is recorded only while
 * everyone in the room has a row here (rooms/room-hub.ts); the room's recording (`recordings`, platform
 * `webrtc`, `platform_recording_id` = the take) is matched to its consents by `take`.
 * - `participant_key`: `customer-<booking>` or `wp-<user>` (who), `user_id` (0 for a guest), `role`;
 * - `consented_at` (when, UTC); no name or address is kept;
 * - rows go with their consultation.
 */
import { createTable, type Migration } from './helpers';

export const migration: Migration = {
	name: '202612021210-create-recording-consents',
	async up( knex, t ) {
		await createTable( knex, t.recordingConsents, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'consultation_id' ).unsigned().notNullable();
			table.string( 'take', 32 ).notNullable();
			table.string( 'participant_key', 64 ).notNullable();
			table.bigInteger( 'user_id' ).unsigned().notNullable().defaultTo( 0 );
			table.string( 'role', 20 ).notNullable();
			table.dateTime( 'consented_at' ).notNullable();
			table.unique( [ 'consultation_id', 'take', 'participant_key' ], { indexName: 'consultation_take_participant_unique' } );
			table.foreign( 'consultation_id', 'recording_consents_consultation_fk' ).references( 'id' ).inTable( t.consultations ).onDelete( 'CASCADE' );
		} );
	},
	async down( knex, t ) {
		await knex.schema.dropTableIfExists( t.recordingConsents );
	},
};

/**
 * In the room (issue 6): files shared during a consultation, and what session notes need for
 * optimistic saves.
 * - `bkx_video_room_files`: one row per shared file, stored encrypted like recordings (a folder in
 *   the store named by `storage_key`, its data key in `wrapped_key`, wrapped with
 *   BKX_VIDEO_ENCRYPTION_KEY); `uploaded_by` is the participant key (`customer-<booking>`,
 *   `wp-<user>`); the row goes with its consultation.
 * - `bkx_video_session_notes`: `version` (each save adds one; a save based on an older version is
 *   a conflict) and one row per consultation and author (unique), so two first saves cannot make two.
 */
import { createTable } from './helpers';
import type { Migration } from './helpers';

const NOTES_UNIQUE = 'consultation_author_uq';

export const migration: Migration = {
	name: '202612021200-create-room-files',
	async up( knex, t ) {
		await createTable( knex, t.roomFiles, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'consultation_id' ).unsigned().notNullable();
			table.string( 'uploaded_by', 64 ).notNullable();
			table.string( 'uploader_name', 250 ).notNullable().defaultTo( '' );
			table.string( 'name', 255 ).notNullable();
			table.string( 'mime', 100 ).notNullable();
			table.bigInteger( 'size' ).unsigned().notNullable();
			table.string( 'storage_key', 64 ).notNullable();
			table.text( 'wrapped_key' ).notNullable();
			table.dateTime( 'created_at' ).notNullable();
			table.index( [ 'consultation_id' ], 'consultation_id_idx' );
			table.foreign( 'consultation_id' ).references( 'id' ).inTable( t.consultations ).onDelete( 'CASCADE' );
		} );
		if ( ! ( await knex.schema.hasColumn( t.sessionNotes, 'version' ) ) ) {
			await knex.schema.alterTable( t.sessionNotes, ( table ) => {
				table.integer( 'version' ).unsigned().notNullable().defaultTo( 0 ).after( 'is_shared_with_customer' );
				table.unique( [ 'consultation_id', 'created_by' ], { indexName: NOTES_UNIQUE } );
			} );
		}
	},
	async down( knex, t ) {
		if ( await knex.schema.hasColumn( t.sessionNotes, 'version' ) ) {
			await knex.schema.alterTable( t.sessionNotes, ( table ) => {
				table.dropUnique( [ 'consultation_id', 'created_by' ], NOTES_UNIQUE );
				table.dropColumn( 'version' );
			} );
		}
		await knex.schema.dropTableIfExists( t.roomFiles );
	},
};

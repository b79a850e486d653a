/**
 * The recordings pipeline (issue 5): what the spec's `bkx_video_recordings` lacks to download,
 * process, encrypt and serve a recording.
 * - `platform`, `platform_meeting_uuid` (the meeting instance, which a later transcript names) and
 *   `file_type` of the platform's file, `source_size` (its announced size, checked after download);
 * - `storage_key` (the recording's folder in the store), `wrapped_key` (its data key, encrypted with
 *   BKX_VIDEO_ENCRYPTION_KEY), `poster_size`, `transcript_size` and `transcript_text` (the cue text,
 *   for search), `mime_type`;
 * - `shared_with_customer` (recordings are private to the host unless shared), `error`,
 *   `processed_at`;
 * - one row per platform file: unique (`consultation_id`, `platform_recording_id`), so a retried
 *   webhook never makes a second row.
 */
import type { Migration } from './helpers';

const UNIQUE = 'consultation_platform_recording_uq';

export const migration: Migration = {
	name: '202612021100-recordings-pipeline',
	async up( knex, t ) {
		if ( ! ( await knex.schema.hasColumn( t.recordings, 'storage_key' ) ) ) {
			await knex.schema.alterTable( t.recordings, ( table ) => {
				table.string( 'platform', 20 ).nullable().after( 'consultation_id' );
				table.string( 'platform_meeting_uuid', 191 ).nullable().after( 'platform_recording_id' );
				table.string( 'file_type', 20 ).nullable().after( 'recording_type' );
				table.bigInteger( 'source_size' ).nullable().after( 'file_size' );
				table.string( 'storage_key', 64 ).nullable();
				table.text( 'wrapped_key' ).nullable();
				table.string( 'mime_type', 100 ).nullable();
				table.bigInteger( 'poster_size' ).nullable();
				table.integer( 'transcript_size' ).nullable();
				table.specificType( 'transcript_text', 'MEDIUMTEXT' ).nullable();
				table.boolean( 'shared_with_customer' ).notNullable().defaultTo( false );
				table.text( 'error' ).nullable();
				table.dateTime( 'processed_at' ).nullable();
				table.unique( [ 'consultation_id', 'platform_recording_id' ], { indexName: UNIQUE } );
			} );
		}
	},
	async down( knex, t ) {
		if ( await knex.schema.hasColumn( t.recordings, 'storage_key' ) ) {
			await knex.schema.alterTable( t.recordings, ( table ) => {
				table.dropUnique( [ 'consultation_id', 'platform_recording_id' ], UNIQUE );
				table.dropColumns(
					'platform',
					'platform_meeting_uuid',
					'file_type',
					'source_size',
					'storage_key',
					'wrapped_key',
					'mime_type',
					'poster_size',
					'transcript_size',
					'transcript_text',
					'shared_with_customer',
					'error',
					'processed_at'
				);
			} );
		}
	},
};

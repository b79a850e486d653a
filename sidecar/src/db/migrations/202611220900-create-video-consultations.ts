/**
 * Spec §5 tables: consultations and what hangs off them. `booking_id` is the `bkx_booking` post ID
 * (there is no bkx_bookings table, reference/bookingx.md §6), so it has no foreign key; our own
 * child tables keep theirs.
 */
import { createTable, type Migration } from './helpers';

export const migration: Migration = {
	name: '202611220900-create-video-consultations',
	async up( knex, t ) {
		await createTable( knex, t.consultations, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'booking_id' ).unsigned().notNullable().unique( { indexName: 'booking_id_unique' } );
			table.string( 'platform', 50 ).notNullable();
			table.string( 'meeting_id', 255 ).nullable();
			table.string( 'meeting_password', 255 ).nullable();
			table.text( 'host_url' ).nullable();
			table.text( 'join_url' ).notNullable();
			table.text( 'dial_in_numbers' ).nullable();
			table.integer( 'duration_minutes' ).notNullable();
			table.dateTime( 'scheduled_start' ).notNullable();
			table.dateTime( 'scheduled_end' ).notNullable();
			table.dateTime( 'actual_start' ).nullable();
			table.dateTime( 'actual_end' ).nullable();
			table.string( 'status', 50 ).notNullable().defaultTo( 'scheduled' );
			table.bigInteger( 'host_id' ).unsigned().notNullable();
			table.integer( 'participant_count' ).defaultTo( 0 );
			table.tinyint( 'recording_enabled', 1 ).defaultTo( 1 );
			table.tinyint( 'waiting_room_enabled', 1 ).defaultTo( 1 );
			table.tinyint( 'requires_password', 1 ).defaultTo( 1 );
			table.text( 'metadata', 'longtext' ).nullable();
			// Ours, beyond spec §5: who the customer is, and sync state.
			table.bigInteger( 'service_id' ).unsigned().notNullable().defaultTo( 0 );
			table.bigInteger( 'seat_id' ).unsigned().notNullable().defaultTo( 0 );
			table.bigInteger( 'customer_user_id' ).unsigned().nullable();
			table.string( 'customer_email', 255 ).nullable();
			table.string( 'customer_name', 200 ).nullable();
			table.integer( 'access_version' ).unsigned().notNullable().defaultTo( 1 );
			table.text( 'sync_error' ).nullable();
			table.dateTime( 'last_synced_at' ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.dateTime( 'updated_at' ).notNullable();
			table.index( [ 'platform' ], 'platform_idx' );
			table.index( [ 'status' ], 'status_idx' );
			table.index( [ 'host_id' ], 'host_id_idx' );
			table.index( [ 'scheduled_start' ], 'scheduled_start_idx' );
			table.index( [ 'customer_user_id' ], 'customer_user_id_idx' );
			table.index( [ 'customer_email' ], 'customer_email_idx' );
		} );
		await createTable( knex, t.participants, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'consultation_id' ).unsigned().notNullable();
			table.bigInteger( 'user_id' ).unsigned().nullable();
			table.string( 'name', 100 ).notNullable();
			table.string( 'email', 255 ).nullable();
			table.enum( 'role', [ 'host', 'participant', 'guest' ] ).defaultTo( 'participant' );
			table.dateTime( 'join_time' ).nullable();
			table.dateTime( 'leave_time' ).nullable();
			table.integer( 'duration_seconds' ).nullable();
			table.string( 'device_type', 50 ).nullable();
			table.string( 'ip_address', 45 ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.index( [ 'consultation_id' ], 'consultation_id_idx' );
			table.index( [ 'user_id' ], 'user_id_idx' );
			table.index( [ 'role' ], 'role_idx' );
			table.foreign( 'consultation_id' ).references( 'id' ).inTable( t.consultations ).onDelete( 'CASCADE' );
		} );
		await createTable( knex, t.recordings, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'consultation_id' ).unsigned().notNullable();
			table.string( 'platform_recording_id', 255 ).nullable();
			table.string( 'recording_type', 50 ).nullable();
			table.text( 'file_url' ).nullable();
			table.bigInteger( 'file_size' ).nullable();
			table.integer( 'duration_seconds' ).nullable();
			table.text( 'download_url' ).nullable();
			table.text( 'play_url' ).nullable();
			table.string( 'password', 255 ).nullable();
			table.text( 'transcript_url' ).nullable();
			table.string( 'status', 50 ).defaultTo( 'processing' );
			table.dateTime( 'expiry_date' ).nullable();
			table.integer( 'download_count' ).defaultTo( 0 );
			table.dateTime( 'created_at' ).notNullable();
			table.dateTime( 'updated_at' ).notNullable();
			table.index( [ 'consultation_id' ], 'consultation_id_idx' );
			table.index( [ 'status' ], 'status_idx' );
			table.index( [ 'expiry_date' ], 'expiry_date_idx' );
			table.foreign( 'consultation_id' ).references( 'id' ).inTable( t.consultations ).onDelete( 'CASCADE' );
		} );
		await createTable( knex, t.intakeForms, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'consultation_id' ).unsigned().notNullable();
			table.text( 'form_data', 'longtext' ).notNullable();
			table.text( 'attachments' ).nullable();
			table.bigInteger( 'submitted_by' ).unsigned().notNullable();
			table.dateTime( 'submitted_at' ).notNullable();
			table.bigInteger( 'reviewed_by' ).unsigned().nullable();
			table.dateTime( 'reviewed_at' ).nullable();
			table.dateTime( 'created_at' ).notNullable();
			table.index( [ 'consultation_id' ], 'consultation_id_idx' );
			table.index( [ 'submitted_by' ], 'submitted_by_idx' );
			table.foreign( 'consultation_id' ).references( 'id' ).inTable( t.consultations ).onDelete( 'CASCADE' );
		} );
		await createTable( knex, t.sessionNotes, ( table ) => {
			table.bigIncrements( 'id' ).unsigned().primary();
			table.bigInteger( 'consultation_id' ).unsigned().notNullable();
			table.text( 'notes', 'longtext' ).notNullable();
			table.text( 'attachments' ).nullable();
			table.tinyint( 'is_shared_with_customer', 1 ).defaultTo( 0 );
			table.bigInteger( 'created_by' ).unsigned().notNullable();
			table.dateTime( 'created_at' ).notNullable();
			table.dateTime( 'updated_at' ).notNullable();
			table.index( [ 'consultation_id' ], 'consultation_id_idx' );
			table.index( [ 'created_by' ], 'created_by_idx' );
			table.foreign( 'consultation_id' ).references( 'id' ).inTable( t.consultations ).onDelete( 'CASCADE' );
		} );
	},
	async down( knex, t ) {
		for ( const name of [ t.sessionNotes, t.intakeForms, t.recordings, t.participants, t.consultations ] ) {
			await knex.schema.dropTableIfExists( name );
		}
	},
};

/**
 * The recordings table. SQL about recordings lives here only.
 *
 * A row is one platform file (one per consultation and platform file id: a retried webhook finds
 * it again) through its life: `downloading` → `processing` → `available`, or `failed`. Its
 * storage key and wrapped data key are made with the row, so a transcript that arrives before
 * the video is processed can be stored at once.
 */
import type { Knex } from 'knex';

import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export type RecordingStatus = 'downloading' | 'processing' | 'available' | 'failed';

export interface Recording {
	id: number;
	consultationId: number;
	platform: string | null;
	platformRecordingId: string | null;
	platformMeetingUuid: string | null;
	recordingType: string | null;
	fileType: string | null;
	/** Size of the processed file served to viewers. */
	fileSize: number | null;
	/** Size the platform announced for its file (checked after the download). */
	sourceSize: number | null;
	durationSeconds: number | null;
	status: RecordingStatus;
	expiryDate: Date | null;
	downloadCount: number;
	storageKey: string;
	wrappedKey: string;
	mimeType: string | null;
	posterSize: number | null;
	transcriptSize: number | null;
	sharedWithCustomer: boolean;
	error: string | null;
	processedAt: Date | null;
	createdAt: Date;
	updatedAt: Date;
}

/** Who is asking, for the list a viewer may see (the policy is in policy/can.ts; this is its SQL). */
export interface RecordingViewer {
	/** Admins see every recording. */
	all: boolean;
	/** WordPress user id (0 for guests). */
	userId: number;
	email: string | null;
	/** The consultation a guest's access token opens. */
	tokenConsultationId: number | null;
	/** `auto_send_recording`: customers see their recordings without the host sharing each one. */
	customersSeeAll: boolean;
}

export interface RecordingListItem extends Recording {
	scheduledStart: Date;
	hostId: number;
	serviceId: number;
	customerName: string | null;
	customerUserId: number | null;
	customerEmail: string | null;
	hasTranscript: boolean;
}

type Row = Record< string, unknown >;
const num = ( v: unknown ) => ( v === null || v === undefined ? null : Number( v ) );

function fromRow( r: Row ): Recording {
	return {
		id: Number( r.id ),
		consultationId: Number( r.consultation_id ),
		platform: ( r.platform as string | null ) ?? null,
		platformRecordingId: ( r.platform_recording_id as string | null ) ?? null,
		platformMeetingUuid: ( r.platform_meeting_uuid as string | null ) ?? null,
		recordingType: ( r.recording_type as string | null ) ?? null,
		fileType: ( r.file_type as string | null ) ?? null,
		fileSize: num( r.file_size ),
		sourceSize: num( r.source_size ),
		durationSeconds: num( r.duration_seconds ),
		status: String( r.status ) as RecordingStatus,
		expiryDate: fromSqlDateTime( r.expiry_date as string | null ),
		downloadCount: Number( r.download_count ?? 0 ),
		storageKey: String( r.storage_key ?? '' ),
		wrappedKey: String( r.wrapped_key ?? '' ),
		mimeType: ( r.mime_type as string | null ) ?? null,
		posterSize: num( r.poster_size ),
		transcriptSize: num( r.transcript_size ),
		sharedWithCustomer: Boolean( Number( r.shared_with_customer ?? 0 ) ),
		error: ( r.error as string | null ) ?? null,
		processedAt: fromSqlDateTime( r.processed_at as string | null ),
		createdAt: fromSqlDateTime( r.created_at as string ) as Date,
		updatedAt: fromSqlDateTime( r.updated_at as string ) as Date,
	};
}

export interface NewRecording {
	consultationId: number;
	platform: string;
	platformRecordingId: string;
	platformMeetingUuid: string;
	recordingType: string | null;
	fileType: string;
	sourceSize: number | null;
	storageKey: string;
	wrappedKey: string;
}

export type RecordingPatch = Partial<
	Pick< Recording, 'status' | 'fileSize' | 'durationSeconds' | 'expiryDate' | 'mimeType' | 'posterSize' | 'transcriptSize' | 'sharedWithCustomer' | 'error' | 'processedAt' >
> & { transcriptText?: string | null };

const COLUMNS: Record< keyof Omit< RecordingPatch, 'transcriptText' >, string > = {
	status: 'status',
	fileSize: 'file_size',
	durationSeconds: 'duration_seconds',
	expiryDate: 'expiry_date',
	mimeType: 'mime_type',
	posterSize: 'poster_size',
	transcriptSize: 'transcript_size',
	sharedWithCustomer: 'shared_with_customer',
	error: 'error',
	processedAt: 'processed_at',
};

export function createRecordingsRepository( knex: Knex, t: Tables ) {
	/** Every column but the transcript text (it can be long; only search reads it). */
	const columns = [
		'r.id',
		'r.consultation_id',
		'r.platform',
		'r.platform_recording_id',
		'r.platform_meeting_uuid',
		'r.recording_type',
		'r.file_type',
		'r.file_size',
		'r.source_size',
		'r.duration_seconds',
		'r.status',
		'r.expiry_date',
		'r.download_count',
		'r.storage_key',
		'r.wrapped_key',
		'r.mime_type',
		'r.poster_size',
		'r.transcript_size',
		'r.shared_with_customer',
		'r.error',
		'r.processed_at',
		'r.created_at',
		'r.updated_at',
	];
	const base = () => knex( { r: t.recordings } ).select( columns );

	return {
		/**
		 * Creates the rows of a platform's files, once: a file already stored (a retried webhook) is
		 * left as it is. Returns every row of these files, old and new.
		 */
		async addFromPlatform( rows: NewRecording[], now: Date ): Promise< Recording[] > {
			if ( ! rows.length ) {
				return [];
			}
			const ts = toSqlDateTime( now );
			await knex( t.recordings )
				.insert(
					rows.map( ( r ) => ( {
						consultation_id: r.consultationId,
						platform: r.platform,
						platform_recording_id: r.platformRecordingId,
						platform_meeting_uuid: r.platformMeetingUuid,
						recording_type: r.recordingType,
						file_type: r.fileType,
						source_size: r.sourceSize,
						storage_key: r.storageKey,
						wrapped_key: r.wrappedKey,
						status: 'downloading',
						created_at: ts,
						updated_at: ts,
					} ) )
				)
				.onConflict( [ 'consultation_id', 'platform_recording_id' ] )
				.ignore();
			const found = await base()
				.where( 'r.consultation_id', rows[ 0 ]!.consultationId )
				.whereIn( 'r.platform_recording_id', rows.map( ( r ) => r.platformRecordingId ) )
				.orderBy( 'r.id' );
			return ( found as Row[] ).map( fromRow );
		},

		async findById( id: number ): Promise< Recording | null > {
			const row = ( await base().where( 'r.id', id ).first() ) as Row | undefined;
			return row ? fromRow( row ) : null;
		},

		/** The rows of one meeting instance (a transcript belongs to all of them). */
		async listForInstance( consultationId: number, meetingUuid: string ): Promise< Recording[] > {
			const rows = await base().where( { 'r.consultation_id': consultationId, 'r.platform_meeting_uuid': meetingUuid } ).orderBy( 'r.id' );
			return ( rows as Row[] ).map( fromRow );
		},

		async update( id: number, patch: RecordingPatch, now: Date ): Promise< void > {
			const row: Row = { updated_at: toSqlDateTime( now ) };
			for ( const [ key, column ] of Object.entries( COLUMNS ) ) {
				const value = patch[ key as keyof typeof COLUMNS ];
				if ( value !== undefined ) {
					row[ column ] = value instanceof Date ? toSqlDateTime( value ) : value;
				}
			}
			if ( patch.transcriptText !== undefined ) {
				row.transcript_text = patch.transcriptText;
			}
			await knex( t.recordings ).where( 'id', id ).update( row );
		},

		/** Moves a row on only from the state it is in (two workers never both take the step). */
		async transition( id: number, from: RecordingStatus, patch: RecordingPatch, now: Date ): Promise< boolean > {
			const row: Row = { updated_at: toSqlDateTime( now ) };
			for ( const [ key, column ] of Object.entries( COLUMNS ) ) {
				const value = patch[ key as keyof typeof COLUMNS ];
				if ( value !== undefined ) {
					row[ column ] = value instanceof Date ? toSqlDateTime( value ) : value;
				}
			}
			return ( await knex( t.recordings ).where( { id, status: from } ).update( row ) ) > 0;
		},

		async countDownload( id: number ): Promise< void > {
			await knex( t.recordings ).where( 'id', id ).increment( 'download_count', 1 );
		},

		/** What the viewer may see, newest first; `search` matches the transcript and the customer's name. */
		async listVisible( viewer: RecordingViewer, o: { consultationId?: number; search?: string; customerEmail?: string; limit: number } ): Promise< RecordingListItem[] > {
			const q = knex( { r: t.recordings } )
				.join( { c: t.consultations }, 'c.id', 'r.consultation_id' )
				.select( [
					...columns,
					'c.scheduled_start',
					'c.host_id',
					'c.service_id',
					'c.customer_name',
					'c.customer_user_id',
					'c.customer_email',
					knex.raw( 'r.transcript_text IS NOT NULL AS has_transcript' ),
				] )
				.orderBy( 'r.created_at', 'desc' )
				.orderBy( 'r.id', 'desc' )
				.limit( o.limit );
			if ( ! viewer.all ) {
				q.where( ( w ) => {
					if ( viewer.userId > 0 ) {
						w.orWhere( 'c.host_id', viewer.userId );
					}
					// Customers see only finished recordings, and only shared ones unless auto-send is on.
					w.orWhere( ( customer ) => {
						customer.where( 'r.status', 'available' );
						if ( ! viewer.customersSeeAll ) {
							customer.where( 'r.shared_with_customer', true );
						}
						customer.where( ( who ) => {
							who.whereRaw( '1 = 0' );
							if ( viewer.userId > 0 ) {
								who.orWhere( 'c.customer_user_id', viewer.userId );
								if ( viewer.email ) {
									who.orWhereRaw( 'LOWER(c.customer_email) = ?', [ viewer.email.toLowerCase() ] );
								}
							}
							if ( viewer.tokenConsultationId ) {
								who.orWhere( 'c.id', viewer.tokenConsultationId );
							}
						} );
					} );
				} );
			}
			if ( o.consultationId ) {
				q.where( 'r.consultation_id', o.consultationId );
			}
			if ( o.customerEmail ) {
				// The same match as listForCustomerEmail (what a deletion request removes).
				q.whereRaw( 'LOWER(c.customer_email) = ?', [ o.customerEmail.trim().toLowerCase() ] );
			}
			if ( o.search ) {
				const like = `%${ o.search.replace( /[\\%_]/g, ( c ) => `\\${ c }` ) }%`;
				q.where( ( s ) => s.where( 'r.transcript_text', 'like', like ).orWhere( 'c.customer_name', 'like', like ) );
			}
			const rows = ( await q ) as Row[];
			return rows.map( ( r ) => ( {
				...fromRow( r ),
				scheduledStart: fromSqlDateTime( r.scheduled_start as string ) as Date,
				hostId: Number( r.host_id ),
				serviceId: Number( r.service_id ),
				customerName: ( r.customer_name as string | null ) ?? null,
				customerUserId: num( r.customer_user_id ),
				customerEmail: ( r.customer_email as string | null ) ?? null,
				hasTranscript: Boolean( Number( r.has_transcript ) ),
			} ) );
		},

		/** Rows past their expiry date (retention), oldest first. */
		async listExpired( now: Date, limit: number ): Promise< Recording[] > {
			const rows = await base().where( 'r.expiry_date', '<=', toSqlDateTime( now ) ).orderBy( 'r.expiry_date' ).limit( limit );
			return ( rows as Row[] ).map( fromRow );
		},

		/** The recordings of consultations whose customer has this e-mail address (a deletion request). */
		async listForCustomerEmail( email: string ): Promise< Recording[] > {
			const rows = await base()
				.join( { c: t.consultations }, 'c.id', 'r.consultation_id' )
				.whereRaw( 'LOWER(c.customer_email) = ?', [ email.trim().toLowerCase() ] )
				.orderBy( 'r.id' );
			return ( rows as Row[] ).map( fromRow );
		},

		async remove( id: number ): Promise< void > {
			await knex( t.recordings ).where( 'id', id ).delete();
		},
	};
}

export type RecordingsRepository = ReturnType< typeof createRecordingsRepository >;

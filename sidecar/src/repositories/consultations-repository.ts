/**
 * The consultations table. SQL about consultations lives here only.
 */
import type { Knex } from 'knex';

import type { ConsultationStatus, PlatformId } from '@bkx-video/contracts';

import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import { allOrEach, batched, byKey } from '../db/batch';
import type { Tables } from '../db/tables';
import { createTtlCache } from '../ttl-cache';

export interface Consultation {
	id: number;
	bookingId: number;
	platform: PlatformId;
	meetingId: string | null;
	meetingPassword: string | null;
	hostUrl: string | null;
	joinUrl: string;
	/** Phone numbers to dial in (Zoom, Teams), as the platform gave them. */
	dialInNumbers: string[];
	durationMinutes: number;
	scheduledStart: Date;
	scheduledEnd: Date;
	actualStart: Date | null;
	actualEnd: Date | null;
	/** Distinct people who took part so far (session tracking). */
	participantCount: number;
	status: ConsultationStatus;
	hostId: number;
	serviceId: number;
	seatId: number;
	customerUserId: number | null;
	customerEmail: string | null;
	customerName: string | null;
	accessVersion: number;
	/** iCalendar SEQUENCE of the last invitation, update or cancellation sent. */
	icsSequence: number;
	waitingRoomEnabled: boolean;
	requiresPassword: boolean;
	recordingEnabled: boolean;
	metadata: Record< string, unknown >;
	syncError: string | null;
	createdAt: Date;
	updatedAt: Date;
}

export type ConsultationWrite = Omit< Consultation, 'id' | 'createdAt' | 'updatedAt' | 'actualStart' | 'actualEnd' | 'participantCount' >;

/** What session tracking changes on a consultation (services/session-tracker.ts). */
export interface SessionPatch {
	actualStart?: Date;
	actualEnd?: Date;
	status?: ConsultationStatus;
	/** Set participant_count from the participant rows. */
	recountParticipants?: boolean;
	metadata?: Record< string, unknown >;
}

type Row = Record< string, unknown >;

function fromRow( r: Row ): Consultation {
	let metadata: Record< string, unknown > = {};
	try {
		metadata = r.metadata ? ( JSON.parse( String( r.metadata ) ) as Record< string, unknown > ) : {};
	} catch {
		metadata = {};
	}
	return {
		id: Number( r.id ),
		bookingId: Number( r.booking_id ),
		platform: r.platform as PlatformId,
		meetingId: ( r.meeting_id as string | null ) ?? null,
		meetingPassword: ( r.meeting_password as string | null ) ?? null,
		hostUrl: ( r.host_url as string | null ) ?? null,
		joinUrl: String( r.join_url ?? '' ),
		dialInNumbers: parseDialIn( r.dial_in_numbers ),
		durationMinutes: Number( r.duration_minutes ),
		scheduledStart: fromSqlDateTime( r.scheduled_start as string ) as Date,
		scheduledEnd: fromSqlDateTime( r.scheduled_end as string ) as Date,
		actualStart: fromSqlDateTime( r.actual_start as string | null ),
		actualEnd: fromSqlDateTime( r.actual_end as string | null ),
		participantCount: Number( r.participant_count ?? 0 ),
		status: r.status as ConsultationStatus,
		hostId: Number( r.host_id ),
		serviceId: Number( r.service_id ),
		seatId: Number( r.seat_id ),
		customerUserId: r.customer_user_id === null || r.customer_user_id === undefined ? null : Number( r.customer_user_id ),
		customerEmail: ( r.customer_email as string | null ) ?? null,
		customerName: ( r.customer_name as string | null ) ?? null,
		accessVersion: Number( r.access_version ),
		icsSequence: Number( r.ics_sequence ?? 0 ),
		waitingRoomEnabled: Boolean( r.waiting_room_enabled ),
		requiresPassword: Boolean( r.requires_password ),
		recordingEnabled: Boolean( r.recording_enabled ),
		metadata,
		syncError: ( r.sync_error as string | null ) ?? null,
		createdAt: fromSqlDateTime( r.created_at as string ) as Date,
		updatedAt: fromSqlDateTime( r.updated_at as string ) as Date,
	};
}

function parseDialIn( value: unknown ): string[] {
	if ( typeof value !== 'string' || ! value ) {
		return [];
	}
	try {
		const list: unknown = JSON.parse( value );
		return Array.isArray( list ) ? list.filter( ( n ): n is string => typeof n === 'string' ) : [];
	} catch {
		return [];
	}
}

function toRow( c: Partial< ConsultationWrite > ): Row {
	const row: Row = {};
	const set = ( key: string, value: unknown ) => {
		if ( value !== undefined ) {
			row[ key ] = value;
		}
	};
	set( 'booking_id', c.bookingId );
	set( 'platform', c.platform );
	set( 'meeting_id', c.meetingId );
	set( 'meeting_password', c.meetingPassword );
	set( 'host_url', c.hostUrl );
	set( 'join_url', c.joinUrl );
	set( 'dial_in_numbers', c.dialInNumbers && ( c.dialInNumbers.length ? JSON.stringify( c.dialInNumbers ) : null ) );
	set( 'duration_minutes', c.durationMinutes );
	set( 'scheduled_start', c.scheduledStart && toSqlDateTime( c.scheduledStart ) );
	set( 'scheduled_end', c.scheduledEnd && toSqlDateTime( c.scheduledEnd ) );
	set( 'status', c.status );
	set( 'host_id', c.hostId );
	set( 'service_id', c.serviceId );
	set( 'seat_id', c.seatId );
	set( 'customer_user_id', c.customerUserId );
	set( 'customer_email', c.customerEmail );
	set( 'customer_name', c.customerName );
	set( 'access_version', c.accessVersion );
	set( 'ics_sequence', c.icsSequence );
	set( 'waiting_room_enabled', c.waitingRoomEnabled === undefined ? undefined : Number( c.waitingRoomEnabled ) );
	set( 'requires_password', c.requiresPassword === undefined ? undefined : Number( c.requiresPassword ) );
	set( 'recording_enabled', c.recordingEnabled === undefined ? undefined : Number( c.recordingEnabled ) );
	set( 'metadata', c.metadata && JSON.stringify( c.metadata ) );
	set( 'sync_error', c.syncError );
	return row;
}

const OPEN_STATUSES: ConsultationStatus[] = [ 'pending', 'scheduled', 'in_progress' ];

/**
 * @param cache.ttlSeconds how long `findById` may answer from memory (spec §12 caches meeting
 *   details; a join storm at the top of the hour reads the same rows). Writes through this
 *   repository drop the entry at once; other sidecar instances see a change within the TTL.
 */
export function createConsultationsRepository( knex: Knex, t: Tables, cache: { ttlSeconds: number; clock: () => Date } = { ttlSeconds: 0, clock: () => new Date() } ) {
	const byId = createTtlCache< number, Consultation | null >( cache );
	const forget = ( id: number ) => byId.delete( id );

	// Syncs of a burst of bookings read and insert their rows together (src/db/batch.ts).
	const byBooking = batched( async ( bookingIds: readonly number[] ) => {
		const rows = ( await knex( t.consultations ).select().whereIn( 'booking_id', [ ...new Set( bookingIds ) ] ) ) as Row[];
		return byKey( bookingIds, rows, ( r ) => Number( r.booking_id ), fromRow, null as Consultation | null );
	} );
	const byMeeting = batched( async ( keys: readonly string[] ) => {
		const pairs = [ ...new Set( keys ) ].map( ( k ) => k.split( '\n' ) as [ string, string ] );
		const rows = ( await knex( t.consultations )
			.select()
			.whereIn( 'meeting_id', pairs.map( ( [ , m ] ) => m ) ) ) as Row[];
		return byKey( keys, rows, ( r ) => `${ String( r.platform ) }\n${ String( r.meeting_id ) }`, fromRow, null as Consultation | null );
	} );
	const insertRows = async ( rows: readonly Row[] ): Promise< Consultation[] > => {
		await knex( t.consultations ).insert( [ ...rows ] );
		const ids = rows.map( ( r ) => Number( r.booking_id ) );
		const found = ( await knex( t.consultations ).select().whereIn( 'booking_id', ids ) ) as Row[];
		return byKey( ids, found, ( r ) => Number( r.booking_id ), fromRow, null ).map( ( c, i ) => {
			if ( ! c ) {
				throw new Error( `The consultation of booking ${ ids[ i ] } vanished after insert` );
			}
			forget( c.id );
			return c;
		} );
	};
	const insertOne = batched( ( rows: readonly Row[] ) => allOrEach( rows, insertRows, async ( row ) => ( await insertRows( [ row ] ) )[ 0 ]! ), { waitMs: 2 } );

	return {
		/** @param options.fresh skip the cache (jobs and sync must see the latest row). */
		findById( id: number, options: { fresh?: boolean } = {} ): Promise< Consultation | null > {
			return byId.get(
				id,
				async () => {
					const row = await knex( t.consultations ).first().where( 'id', id );
					return row ? fromRow( row ) : null;
				},
				options.fresh
			);
		},

		findByBooking( bookingId: number ): Promise< Consultation | null > {
			return byBooking( bookingId );
		},

		/** Inserts; the unique booking_id makes a concurrent duplicate fail instead of doubling. */
		insert( c: ConsultationWrite, now: Date ): Promise< Consultation > {
			const ts = toSqlDateTime( now );
			return insertOne( { ...toRow( c ), last_synced_at: ts, created_at: ts, updated_at: ts } );
		},

		async update( id: number, patch: Partial< ConsultationWrite >, now: Date ): Promise< void > {
			const ts = toSqlDateTime( now );
			forget( id );
			await knex( t.consultations )
				.update( { ...toRow( patch ), last_synced_at: ts, updated_at: ts } )
				.where( 'id', id );
			// Again after the write: a read that raced the UPDATE may have cached the old row.
			forget( id );
		},

		async recordSession( id: number, patch: SessionPatch, now: Date ): Promise< void > {
			const row: Row = { updated_at: toSqlDateTime( now ) };
			if ( patch.actualStart ) {
				row.actual_start = toSqlDateTime( patch.actualStart );
			}
			if ( patch.actualEnd ) {
				row.actual_end = toSqlDateTime( patch.actualEnd );
			}
			if ( patch.status ) {
				row.status = patch.status;
			}
			if ( patch.recountParticipants ) {
				// Distinct people, counted by the database in the same statement.
				row.participant_count = knex( t.participants ).countDistinct( 'platform_participant_id' ).where( 'consultation_id', id );
			}
			if ( patch.metadata ) {
				row.metadata = JSON.stringify( patch.metadata );
			}
			forget( id );
			await knex( t.consultations ).update( row ).where( 'id', id );
			forget( id );
		},

		/** The consultation whose meeting this is on that platform (webhooks; a burst shares one read). */
		findByMeeting( platform: PlatformId, meetingId: string ): Promise< Consultation | null > {
			return byMeeting( `${ platform }\n${ meetingId }` );
		},

		async touchSynced( id: number, now: Date ): Promise< void > {
			await knex( t.consultations ).update( { last_synced_at: toSqlDateTime( now ) } ).where( 'id', id );
		},

		/**
		 * The next consultation the user takes part in (as customer or host) that has not closed.
		 */
		async findCurrentForUser(
			user: { id: number; email: string | null },
			notEndedBefore: Date
		): Promise< Consultation | null > {
			const row = await knex( t.consultations )
				.first()
				.whereIn( 'status', OPEN_STATUSES )
				.andWhere( 'scheduled_end', '>=', toSqlDateTime( notEndedBefore ) )
				.andWhere( ( q ) => {
					q.where( 'customer_user_id', user.id ).orWhere( 'host_id', user.id );
					if ( user.email ) {
						q.orWhere( 'customer_email', user.email );
					}
				} )
				.orderBy( 'scheduled_start', 'asc' );
			return row ? fromRow( row ) : null;
		},

		async listOpenBookingIds(): Promise< number[] > {
			const rows = await knex( t.consultations ).select( 'booking_id' ).whereIn( 'status', OPEN_STATUSES );
			return ( rows as Array< { booking_id: number } > ).map( ( r ) => Number( r.booking_id ) );
		},
	};
}

export type ConsultationsRepository = ReturnType< typeof createConsultationsRepository >;

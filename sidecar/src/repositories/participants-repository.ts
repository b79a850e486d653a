/**
 * Participants of a consultation: one row per stay (a reconnect is a second row of the same
 * `platform_participant_id`). SQL about participants lives here only.
 */
import type { Knex } from 'knex';

import { batched } from '../db/batch';
import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export type ParticipantRole = 'host' | 'participant' | 'guest';

export interface Participant {
	id: number;
	consultationId: number;
	key: string;
	userId: number | null;
	name: string;
	email: string | null;
	role: ParticipantRole;
	joinTime: Date | null;
	leaveTime: Date | null;
	durationSeconds: number | null;
	deviceType: string | null;
	ipAddress: string | null;
}

type Row = Record< string, unknown >;

function fromRow( r: Row ): Participant {
	return {
		id: Number( r.id ),
		consultationId: Number( r.consultation_id ),
		key: String( r.platform_participant_id ?? '' ),
		userId: r.user_id === null || r.user_id === undefined ? null : Number( r.user_id ),
		name: String( r.name ?? '' ),
		email: ( r.email as string | null ) ?? null,
		role: r.role as ParticipantRole,
		joinTime: fromSqlDateTime( r.join_time as string | null ),
		leaveTime: fromSqlDateTime( r.leave_time as string | null ),
		durationSeconds: r.duration_seconds === null || r.duration_seconds === undefined ? null : Number( r.duration_seconds ),
		deviceType: ( r.device_type as string | null ) ?? null,
		ipAddress: ( r.ip_address as string | null ) ?? null,
	};
}

export function createParticipantsRepository( knex: Knex, t: Tables ) {
	const stays = batched( async ( keys: readonly string[] ) => {
		const pairs = [ ...new Set( keys ) ].map( ( k ) => k.split( '\n' ) as [ string, string ] );
		const rows = ( await knex( t.participants )
			.select()
			.whereIn( [ 'consultation_id', 'platform_participant_id' ], pairs.map( ( [ c, p ] ) => [ Number( c ), p ] ) )
			.orderBy( 'id' ) ) as Row[];
		const found = rows.map( fromRow );
		return keys.map( ( k ) => found.filter( ( p ) => `${ p.consultationId }\n${ p.key }` === k ) );
	} );
	return {
		async listForConsultation( consultationId: number ): Promise< Participant[] > {
			const rows = ( await knex( t.participants ).select().where( 'consultation_id', consultationId ).orderBy( 'id' ) ) as Row[];
			return rows.map( fromRow );
		},

		/** One person's stays in a consultation (webhook jobs running together share one read). */
		listStays( consultationId: number, key: string ): Promise< Participant[] > {
			return stays( `${ consultationId }\n${ key.slice( 0, 191 ) }` );
		},

		/** Stays that began and have no leave yet. */
		async listOpen( consultationId: number ): Promise< Participant[] > {
			const rows = ( await knex( t.participants ).select().where( 'consultation_id', consultationId ).whereNotNull( 'join_time' ).whereNull( 'leave_time' ) ) as Row[];
			return rows.map( fromRow );
		},

		/** Whether anyone but the host joined (the customer came: not a no-show). */
		async someoneBesidesHostJoined( consultationId: number ): Promise< boolean > {
			const row = await knex( t.participants ).first( 'id' ).where( 'consultation_id', consultationId ).whereNot( 'role', 'host' ).whereNotNull( 'join_time' );
			return Boolean( row );
		},

		async insert( p: Omit< Participant, 'id' >, now: Date ): Promise< number > {
			const [ id ] = await knex( t.participants ).insert( {
				consultation_id: p.consultationId,
				platform_participant_id: p.key.slice( 0, 191 ),
				user_id: p.userId,
				name: p.name.slice( 0, 100 ),
				email: p.email ? p.email.slice( 0, 255 ) : null,
				role: p.role,
				join_time: p.joinTime && toSqlDateTime( p.joinTime ),
				leave_time: p.leaveTime && toSqlDateTime( p.leaveTime ),
				duration_seconds: p.durationSeconds,
				device_type: p.deviceType,
				ip_address: p.ipAddress,
				created_at: toSqlDateTime( now ),
			} );
			return Number( id );
		},

		async setTimes( id: number, times: { joinTime: Date | null; leaveTime: Date | null } ): Promise< void > {
			const duration = times.joinTime && times.leaveTime ? Math.max( 0, Math.round( ( times.leaveTime.getTime() - times.joinTime.getTime() ) / 1000 ) ) : null;
			await knex( t.participants )
				.update( {
					join_time: times.joinTime && toSqlDateTime( times.joinTime ),
					leave_time: times.leaveTime && toSqlDateTime( times.leaveTime ),
					duration_seconds: duration,
				} )
				.where( 'id', id );
		},
	};
}

export type ParticipantsRepository = ReturnType< typeof createParticipantsRepository >;

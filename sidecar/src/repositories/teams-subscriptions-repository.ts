/**
 * Graph subscriptions to our Teams meetings' call events (`_teams_subscriptions`), and the Teams
 * consultations that may need one. SQL about them lives here only.
 *
 * A row is one consultation's meeting: `state` is `active` (Graph has subscription
 * `subscription_id` until `expires_at`), `lapsed` (Graph dropped it or it could not be made; the
 * sweep subscribes again while the meeting needs one) or `ended` (we deleted it). The clientState
 * is stored only as its SHA-256.
 */
import type { Knex } from 'knex';

import type { ConsultationStatus } from '@bkx-video/contracts';

import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export type SubscriptionState = 'active' | 'lapsed' | 'ended';

export interface TeamsSubscriptionRow {
	id: number;
	consultationId: number | null;
	meetingId: string;
	subscriptionId: string | null;
	clientStateHash: string | null;
	state: SubscriptionState;
	expiresAt: Date | null;
	/** Since when the meeting has been watched; null before the first subscription. */
	watchedSince: Date | null;
	/** Notifications may have been lost while the meeting could run: its attendance is not known. */
	coverageGap: boolean;
	lastError: string | null;
}

/** What the sweep needs to know about a Teams consultation. */
export interface TeamsMeetingCandidate {
	consultationId: number;
	meetingId: string;
	joinUrl: string;
	status: ConsultationStatus;
	scheduledStart: Date;
	scheduledEnd: Date;
}

type Row = Record< string, unknown >;

function fromRow( r: Row ): TeamsSubscriptionRow {
	return {
		id: Number( r.id ),
		consultationId: r.consultation_id === null || r.consultation_id === undefined ? null : Number( r.consultation_id ),
		meetingId: String( r.meeting_id ),
		subscriptionId: ( r.subscription_id as string | null ) ?? null,
		clientStateHash: ( r.client_state_hash as string | null ) ?? null,
		state: r.state as SubscriptionState,
		expiresAt: fromSqlDateTime( r.expires_at as string | null ),
		watchedSince: fromSqlDateTime( r.watched_since as string | null ),
		coverageGap: Boolean( Number( r.coverage_gap ) ),
		lastError: ( r.last_error as string | null ) ?? null,
	};
}

/** Statuses of a meeting that may still run (a no-show can turn back when someone joins late). */
const MAY_RUN: ConsultationStatus[] = [ 'pending', 'scheduled', 'in_progress', 'no_show' ];

export function createTeamsSubscriptionsRepository( knex: Knex, t: Tables ) {
	const now = ( at: Date ) => toSqlDateTime( at );
	const update = ( id: number, patch: Row, at: Date ) => knex( t.teamsSubscriptions ).where( 'id', id ).update( { ...patch, updated_at: now( at ) } );

	return {
		/**
		 * Teams consultations whose meeting has not ended and whose slot is near: starting by
		 * `startsBefore`, ending after `endsAfter`.
		 */
		async listCandidates( startsBefore: Date, endsAfter: Date ): Promise< TeamsMeetingCandidate[] > {
			const rows = ( await knex( t.consultations )
				.select( 'id', 'meeting_id', 'join_url', 'status', 'scheduled_start', 'scheduled_end' )
				.where( 'platform', 'teams' )
				.whereNotNull( 'meeting_id' )
				.whereNull( 'actual_end' )
				.whereIn( 'status', MAY_RUN )
				.andWhere( 'scheduled_start', '<=', now( startsBefore ) )
				.andWhere( 'scheduled_end', '>=', now( endsAfter ) ) ) as Row[];
			return rows.map( ( r ) => ( {
				consultationId: Number( r.id ),
				meetingId: String( r.meeting_id ),
				joinUrl: String( r.join_url ?? '' ),
				status: r.status as ConsultationStatus,
				scheduledStart: fromSqlDateTime( r.scheduled_start as string ) as Date,
				scheduledEnd: fromSqlDateTime( r.scheduled_end as string ) as Date,
			} ) );
		},

		/** Rows holding (or wanting back) a Graph subscription, and every row of these consultations. */
		async listOpen( consultationIds: number[] ): Promise< TeamsSubscriptionRow[] > {
			const rows = ( await knex( t.teamsSubscriptions )
				.select()
				.whereIn( 'state', [ 'active', 'lapsed' ] )
				.modify( ( q ) => {
					if ( consultationIds.length ) {
						q.orWhereIn( 'consultation_id', consultationIds );
					}
				} )
				.orderBy( 'id' ) ) as Row[];
			return rows.map( fromRow );
		},

		async findBySubscriptionIds( ids: string[] ): Promise< Map< string, TeamsSubscriptionRow > > {
			if ( ! ids.length ) {
				return new Map();
			}
			const rows = ( await knex( t.teamsSubscriptions ).select().whereIn( 'subscription_id', ids ) ) as Row[];
			return new Map( rows.map( fromRow ).map( ( r ) => [ r.subscriptionId as string, r ] ) );
		},

		async findById( id: number ): Promise< TeamsSubscriptionRow | null > {
			const row = ( await knex( t.teamsSubscriptions ).first().where( 'id', id ) ) as Row | undefined;
			return row ? fromRow( row ) : null;
		},

		async findFor( consultationId: number, meetingId: string ): Promise< TeamsSubscriptionRow | null > {
			const row = ( await knex( t.teamsSubscriptions ).first().where( { consultation_id: consultationId, meeting_id: meetingId } ) ) as Row | undefined;
			return row ? fromRow( row ) : null;
		},

		/** A subscription Graph made for this consultation's meeting (a new row, or the row again). */
		async saveActive(
			key: { consultationId: number; meetingId: string },
			s: { subscriptionId: string; clientStateHash: string; expiresAt: Date; watchedSince: Date; coverageGap: boolean },
			at: Date
		): Promise< void > {
			const values = {
				subscription_id: s.subscriptionId,
				client_state_hash: s.clientStateHash,
				state: 'active',
				expires_at: now( s.expiresAt ),
				watched_since: now( s.watchedSince ),
				coverage_gap: Number( s.coverageGap ),
				last_error: null,
				updated_at: now( at ),
			};
			await knex( t.teamsSubscriptions )
				.insert( { consultation_id: key.consultationId, meeting_id: key.meetingId, ...values, created_at: now( at ) } )
				.onConflict( [ 'consultation_id', 'meeting_id' ] )
				.merge( values );
		},

		/** Subscribing failed: keep the reason where operations can see it (the row is `lapsed`). */
		async saveFailure( key: { consultationId: number; meetingId: string }, error: string, at: Date ): Promise< void > {
			await knex( t.teamsSubscriptions )
				.insert( { consultation_id: key.consultationId, meeting_id: key.meetingId, state: 'lapsed', last_error: error.slice( 0, 2000 ), created_at: now( at ), updated_at: now( at ) } )
				.onConflict( [ 'consultation_id', 'meeting_id' ] )
				.merge( { last_error: error.slice( 0, 2000 ), updated_at: now( at ) } );
		},

		async setExpiry( id: number, expiresAt: Date, at: Date ): Promise< void > {
			await update( id, { expires_at: now( expiresAt ), last_error: null }, at );
		},

		async setError( id: number, error: string, at: Date ): Promise< void > {
			await update( id, { last_error: error.slice( 0, 2000 ) }, at );
		},

		/**
		 * Graph no longer has the subscription. `gap`: notifications may have been lost while people
		 * could join; otherwise (before the meeting's window) watching simply starts afresh.
		 */
		async lapse( id: number, gap: boolean, at: Date ): Promise< void > {
			await update( id, { state: 'lapsed', subscription_id: null, client_state_hash: null, ...( gap ? { coverage_gap: 1 } : { watched_since: null, coverage_gap: 0 } ) }, at );
		},

		/** Notifications were lost (`missed`): the attendance of this meeting is no longer known. */
		async markGap( id: number, at: Date ): Promise< void > {
			await update( id, { coverage_gap: 1 }, at );
		},

		/** We deleted the subscription (or it is no longer wanted). */
		async end( id: number, at: Date ): Promise< void > {
			await update( id, { state: 'ended', subscription_id: null, client_state_hash: null, expires_at: null }, at );
		},

		/** Forgets ended rows last touched before `before`. */
		async pruneEnded( before: Date ): Promise< number > {
			return knex( t.teamsSubscriptions ).where( 'state', 'ended' ).andWhere( 'updated_at', '<', now( before ) ).delete();
		},
	};
}

export type TeamsSubscriptionsRepository = ReturnType< typeof createTeamsSubscriptionsRepository >;

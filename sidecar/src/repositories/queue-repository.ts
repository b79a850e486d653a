/**
 * The outbox (`_events`, written by PHP) and the job queue (`_jobs`). Both are claimed with
 * `FOR UPDATE SKIP LOCKED` in a short transaction that sets `claimed_until`, so several sidecar
 * instances share the work and a crashed worker's claim simply expires.
 */
import type { Knex } from 'knex';

import { toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export interface OutboxEvent {
	id: number;
	bookingId: number;
	kind: string;
	attempts: number;
}

export interface Job {
	id: number;
	kind: string;
	payload: unknown;
	attempts: number;
	maxAttempts: number;
	idempotencyKey: string;
}

/** Exponential backoff with a cap: 5 s, 10 s, 20 s … 15 min. */
export function backoffSeconds( attempts: number ): number {
	return Math.min( 900, 5 * 2 ** Math.max( 0, attempts - 1 ) );
}

export function createQueueRepository( knex: Knex, t: Tables ) {
	const plusSeconds = ( now: Date, s: number ) => toSqlDateTime( new Date( now.getTime() + s * 1000 ) );

	return {
		async claimEvents( limit: number, leaseSeconds: number, now: Date ): Promise< OutboxEvent[] > {
			return knex.transaction( async ( trx ) => {
				const rows = ( await trx( t.events )
					.select( 'id', 'booking_id', 'kind', 'attempts' )
					.whereNull( 'processed_at' )
					.andWhere( ( q ) => q.whereNull( 'claimed_until' ).orWhere( 'claimed_until', '<', toSqlDateTime( now ) ) )
					.orderBy( 'id' )
					.limit( limit )
					.forUpdate()
					.skipLocked() ) as Array< { id: number; booking_id: number; kind: string; attempts: number } >;
				if ( rows.length ) {
					await trx( t.events )
						.whereIn( 'id', rows.map( ( r ) => r.id ) )
						.update( { claimed_until: plusSeconds( now, leaseSeconds ) } );
				}
				return rows.map( ( r ) => ( { id: Number( r.id ), bookingId: Number( r.booking_id ), kind: r.kind, attempts: r.attempts } ) );
			} );
		},

		async markEventsDone( ids: number[], now: Date ): Promise< void > {
			if ( ids.length ) {
				await knex( t.events ).whereIn( 'id', ids ).update( { processed_at: toSqlDateTime( now ), last_error: null } );
			}
		},

		/** @param minDelaySeconds a vendor's Retry-After, when longer than our backoff. */
		async markEventsFailed( ids: number[], error: string, now: Date, minDelaySeconds = 0 ): Promise< void > {
			if ( ! ids.length ) {
				return;
			}
			const row = await knex( t.events ).max( { a: 'attempts' } ).whereIn( 'id', ids ).first();
			const attempts = Number( row?.a ?? 0 ) + 1;
			await knex( t.events )
				.whereIn( 'id', ids )
				.update( {
					attempts: knex.raw( 'attempts + 1' ),
					last_error: error.slice( 0, 2000 ),
					claimed_until: plusSeconds( now, Math.max( backoffSeconds( attempts ), minDelaySeconds ) ),
				} );
		},

		async outboxBacklog(): Promise< number > {
			const row = await knex( t.events ).count( { n: '*' } ).whereNull( 'processed_at' ).first();
			return Number( row?.n ?? 0 );
		},

		/** Enqueues a job once per idempotency key; a repeat keeps the first. Returns true if new. */
		async enqueueJob( kind: string, payload: unknown, idempotencyKey: string, runAt: Date, now: Date ): Promise< boolean > {
			const ts = toSqlDateTime( now );
			const [ inserted ] = await knex( t.jobs )
				.insert( {
					kind,
					payload: JSON.stringify( payload ),
					idempotency_key: idempotencyKey,
					status: 'queued',
					run_at: toSqlDateTime( runAt ),
					created_at: ts,
					updated_at: ts,
				} )
				.onConflict( 'idempotency_key' )
				.ignore();
			return Boolean( inserted );
		},

		async claimJobs( limit: number, leaseSeconds: number, now: Date ): Promise< Job[] > {
			return knex.transaction( async ( trx ) => {
				const ts = toSqlDateTime( now );
				const rows = ( await trx( t.jobs )
					.select( 'id', 'kind', 'payload', 'attempts', 'max_attempts', 'idempotency_key' )
					.whereIn( 'status', [ 'queued', 'running' ] )
					.andWhere( 'run_at', '<=', ts )
					.andWhere( ( q ) => q.whereNull( 'claimed_until' ).orWhere( 'claimed_until', '<', ts ) )
					.orderBy( 'run_at' )
					.limit( limit )
					.forUpdate()
					.skipLocked() ) as Array< Record< string, unknown > >;
				if ( rows.length ) {
					await trx( t.jobs )
						.whereIn( 'id', rows.map( ( r ) => Number( r.id ) ) )
						.update( { status: 'running', claimed_until: plusSeconds( now, leaseSeconds ), updated_at: ts } );
				}
				return rows.map( ( r ) => ( {
					id: Number( r.id ),
					kind: String( r.kind ),
					payload: JSON.parse( String( r.payload ) ) as unknown,
					attempts: Number( r.attempts ),
					maxAttempts: Number( r.max_attempts ),
					idempotencyKey: String( r.idempotency_key ),
				} ) );
			} );
		},

		async completeJob( id: number, now: Date ): Promise< void > {
			await knex( t.jobs ).where( 'id', id ).update( { status: 'done', claimed_until: null, last_error: null, updated_at: toSqlDateTime( now ) } );
		},

		async failJob( job: Job, error: string, now: Date ): Promise< void > {
			const attempts = job.attempts + 1;
			const dead = attempts >= job.maxAttempts;
			await knex( t.jobs )
				.where( 'id', job.id )
				.update( {
					status: dead ? 'failed' : 'queued',
					attempts,
					last_error: error.slice( 0, 2000 ),
					claimed_until: null,
					run_at: dead ? toSqlDateTime( now ) : plusSeconds( now, backoffSeconds( attempts ) ),
					updated_at: toSqlDateTime( now ),
				} );
		},
	};
}

export type QueueRepository = ReturnType< typeof createQueueRepository >;

/**
 * The outbox (`_events`, written by PHP) and the job queue (`_jobs`). Both are claimed with
 * `FOR UPDATE SKIP LOCKED` in a short transaction that sets `claimed_until`, so several sidecar
 * instances share the work and a crashed worker's claim simply expires.
 *
 * `claimed_until` is a DATETIME (whole seconds, truncated): a row is claimable again once it is at
 * or before the current second, so a 1 s Retry-After really waits about 1 s, not 2.
 */
import type { Knex } from 'knex';

import { batched } from '../db/batch';
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

/** What a failed attempt tells about when to try again. */
export interface RetryHint {
	/** The vendor said "too many requests" (HTTP 429). */
	rateLimited?: boolean;
	/** The vendor's Retry-After, in seconds, when it sent one. */
	retryAfterSeconds?: number;
}

/**
 * Seconds until the next attempt. A 429 with Retry-After waits exactly that long (the vendor knows
 * when its bucket refills; our 5 s backoff would waste four of every five seconds of a 1 s limit);
 * a 429 without one backs off from 1 s to 1 min. Any other failure backs off from 5 s to 15 min,
 * or waits for the vendor's Retry-After (a 503) when that is longer.
 *
 * @param attempts the attempt that just failed, counting from 1.
 */
export function retryDelaySeconds( attempts: number, hint: RetryHint = {} ): number {
	const after = hint.retryAfterSeconds !== undefined && Number.isFinite( hint.retryAfterSeconds ) ? Math.max( 0, hint.retryAfterSeconds ) : undefined;
	if ( hint.rateLimited ) {
		return after ?? Math.min( 60, 2 ** Math.max( 0, attempts - 1 ) );
	}
	return Math.max( backoffSeconds( attempts ), after ?? 0 );
}

/**
 * Runs a claim transaction or a batched write, once more if InnoDB picked it as a deadlock victim
 * (claims of several instances, a claim and PHP's INSERT, or a claim and a multi-row INSERT of
 * jobs can meet on the same index range; nothing was changed).
 */
export async function withDeadlockRetry< T >( fn: () => Promise< T > ): Promise< T > {
	for ( let attempt = 0; ; attempt++ ) {
		try {
			return await fn();
		} catch ( error ) {
			const code = ( error as { code?: string } ).code;
			if ( attempt >= 2 || ( code !== 'ER_LOCK_DEADLOCK' && code !== 'ER_LOCK_WAIT_TIMEOUT' ) ) {
				throw error;
			}
		}
	}
}

export function createQueueRepository( knex: Knex, t: Tables ) {
	const plusSeconds = ( now: Date, s: number ) => toSqlDateTime( new Date( now.getTime() + s * 1000 ) );

	// A burst of syncs finishing together marks its events done and queues its invitations with
	// one query each (src/db/batch.ts).
	const markDone = batched(
		async ( marks: ReadonlyArray< { ids: number[]; at: string } > ) => {
			const byTime = new Map< string, number[] >();
			for ( const m of marks ) {
				byTime.set( m.at, [ ...( byTime.get( m.at ) ?? [] ), ...m.ids ] );
			}
			for ( const [ at, ids ] of byTime ) {
				await withDeadlockRetry( () => knex( t.events ).whereIn( 'id', ids ).update( { processed_at: at, last_error: null } ) );
			}
			return marks.map( () => undefined );
		},
		{ waitMs: 2 }
	);
	const completeOne = batched(
		async ( done: ReadonlyArray< { id: number; at: string } > ) => {
			const byTime = new Map< string, number[] >();
			for ( const d of done ) {
				byTime.set( d.at, [ ...( byTime.get( d.at ) ?? [] ), d.id ] );
			}
			for ( const [ at, ids ] of byTime ) {
				await withDeadlockRetry( () => knex( t.jobs ).whereIn( 'id', ids ).update( { status: 'done', claimed_until: null, last_error: null, updated_at: at } ) );
			}
			return done.map( () => undefined );
		},
		{ waitMs: 2 }
	);
	const insertJob = batched(
		async ( rows: ReadonlyArray< Record< string, unknown > > ) => {
			// A multi-row INSERT can meet a claim's locks on the same index range: retried like claims.
			await withDeadlockRetry( () => knex( t.jobs ).insert( [ ...rows ] ).onConflict( 'idempotency_key' ).ignore() );
			return rows.map( () => undefined );
		},
		{ waitMs: 2 }
	);

	return {
		async claimEvents( limit: number, leaseSeconds: number, now: Date ): Promise< OutboxEvent[] > {
			return withDeadlockRetry( () => knex.transaction( async ( trx ) => {
				const rows = ( await trx( t.events )
					.select( 'id', 'booking_id', 'kind', 'attempts' )
					.whereNull( 'processed_at' )
					.andWhere( ( q ) => q.whereNull( 'claimed_until' ).orWhere( 'claimed_until', '<=', toSqlDateTime( now ) ) )
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
			} ) );
		},

		async markEventsDone( ids: number[], now: Date ): Promise< void > {
			if ( ids.length ) {
				await markDone( { ids, at: toSqlDateTime( now ) } );
			}
		},

		/**
		 * Counts a failed attempt and keeps the rows for a retry in `delaySeconds`
		 * (see {@link retryDelaySeconds}).
		 */
		async markEventsFailed( ids: number[], error: string, now: Date, delaySeconds: number ): Promise< void > {
			if ( ! ids.length ) {
				return;
			}
			await knex( t.events )
				.whereIn( 'id', ids )
				.update( {
					attempts: knex.raw( 'attempts + 1' ),
					last_error: error.slice( 0, 2000 ),
					claimed_until: plusSeconds( now, delaySeconds ),
				} );
		},

		/**
		 * Gives claimed rows back without counting an attempt (they were not tried), claimable from
		 * `at`: when the platform accepts calls again, or now when the instance stops.
		 */
		async releaseEvents( ids: number[], at: Date ): Promise< void > {
			if ( ids.length ) {
				await knex( t.events ).whereIn( 'id', ids ).whereNull( 'processed_at' ).update( { claimed_until: toSqlDateTime( at ) } );
			}
		},

		async outboxBacklog(): Promise< number > {
			const row = await knex( t.events ).count( { n: '*' } ).whereNull( 'processed_at' ).first();
			return Number( row?.n ?? 0 );
		},

		/** Enqueues a job once per idempotency key; a repeat keeps the first (idempotent). */
		enqueueJob( kind: string, payload: unknown, idempotencyKey: string, runAt: Date, now: Date ): Promise< void > {
			const ts = toSqlDateTime( now );
			return insertJob( {
				kind,
				payload: JSON.stringify( payload ),
				idempotency_key: idempotencyKey,
				status: 'queued',
				run_at: toSqlDateTime( runAt ),
				created_at: ts,
				updated_at: ts,
			} );
		},

		async claimJobs( limit: number, leaseSeconds: number, now: Date ): Promise< Job[] > {
			return withDeadlockRetry( () => knex.transaction( async ( trx ) => {
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
			} ) );
		},

		/** Keeps a running job with its instance for `leaseSeconds` more (a long download or ffmpeg run). */
		async extendJobClaim( id: number, leaseSeconds: number, now: Date ): Promise< void > {
			await knex( t.jobs ).where( { id, status: 'running' } ).update( { claimed_until: plusSeconds( now, leaseSeconds ), updated_at: toSqlDateTime( now ) } );
		},

		completeJob( id: number, now: Date ): Promise< void > {
			return completeOne( { id, at: toSqlDateTime( now ) } );
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

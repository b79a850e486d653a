/**
 * Background work of one sidecar instance: drains the outbox, runs due jobs and reconciles on a
 * timer. Each step is also callable directly (tests, the nudge route). Several instances share
 * the work through SKIP LOCKED claims.
 */
import type { FastifyBaseLogger } from 'fastify';

import type { BookingsRepository } from '../repositories/bookings-repository';
import type { ConsultationsRepository } from '../repositories/consultations-repository';
import type { Job, QueueRepository } from '../repositories/queue-repository';
import type { BookingSync } from '../services/booking-sync';

export type JobHandler = ( payload: never, idempotencyKey: string ) => Promise< void >;

interface Deps {
	queue: QueueRepository;
	sync: BookingSync;
	bookings: BookingsRepository;
	consultations: ConsultationsRepository;
	handlers: Record< string, JobHandler >;
	log: FastifyBaseLogger;
	clock: () => Date;
	outboxPollSeconds: number;
	reconcileIntervalSeconds: number;
}

const BATCH = 50;
const LEASE_SECONDS = 120;

export function createWorkers( deps: Deps ) {
	const { queue, sync, log, clock } = deps;
	const timers: NodeJS.Timeout[] = [];
	let draining: Promise< number > | null = null;
	let drainAgain = false;
	let stopped = false;

	async function drainOnce(): Promise< number > {
		let handled = 0;
		for ( let round = 0; round < 100 && ! stopped; round++ ) {
			const events = await queue.claimEvents( BATCH, LEASE_SECONDS, clock() );
			if ( ! events.length ) {
				break;
			}
			const byBooking = new Map< number, number[] >();
			for ( const e of events ) {
				byBooking.set( e.bookingId, [ ...( byBooking.get( e.bookingId ) ?? [] ), e.id ] );
			}
			for ( const [ bookingId, ids ] of byBooking ) {
				try {
					await sync.syncBooking( bookingId );
					await queue.markEventsDone( ids, clock() );
				} catch ( error ) {
					log.warn( { err: error, bookingId }, 'outbox event failed; will retry with backoff' );
					const retryAfter = ( error as { retryAfterSeconds?: number } ).retryAfterSeconds ?? 0;
					await queue.markEventsFailed( ids, error instanceof Error ? error.message : String( error ), clock(), retryAfter );
				}
				handled += ids.length;
			}
		}
		return handled;
	}

	/** Drains the outbox; concurrent calls coalesce into one extra pass. */
	async function drainOutbox(): Promise< number > {
		if ( draining ) {
			drainAgain = true;
			return draining;
		}
		draining = ( async () => {
			let total = 0;
			do {
				drainAgain = false;
				total += await drainOnce();
			} while ( drainAgain && ! stopped );
			return total;
		} )().finally( () => {
			draining = null;
		} );
		return draining;
	}

	async function runJob( job: Job ): Promise< void > {
		const handler = deps.handlers[ job.kind ];
		try {
			if ( ! handler ) {
				throw new Error( `No handler for job kind "${ job.kind }"` );
			}
			await handler( job.payload as never, job.idempotencyKey );
			await queue.completeJob( job.id, clock() );
		} catch ( error ) {
			log.warn( { err: error, jobId: job.id, kind: job.kind, attempts: job.attempts + 1 }, 'job failed' );
			await queue.failJob( job, error instanceof Error ? error.message : String( error ), clock() );
		}
	}

	async function runDueJobs(): Promise< number > {
		let handled = 0;
		for ( let round = 0; round < 20 && ! stopped; round++ ) {
			const jobs = await queue.claimJobs( 10, LEASE_SECONDS, clock() );
			if ( ! jobs.length ) {
				break;
			}
			for ( const job of jobs ) {
				await runJob( job );
				handled++;
			}
		}
		return handled;
	}

	/** Compares bookings with consultations and fixes drift (missed hooks, failed calls). */
	async function reconcile(): Promise< { checked: number; failed: number } > {
		const ids = new Set( [ ...( await deps.bookings.listVideoBookingIds( clock() ) ), ...( await deps.consultations.listOpenBookingIds() ) ] );
		let failed = 0;
		for ( const id of ids ) {
			if ( stopped ) {
				break;
			}
			try {
				await sync.syncBooking( id, { verifyRemote: true } );
			} catch ( error ) {
				failed++;
				log.warn( { err: error, bookingId: id }, 'reconcile could not sync booking' );
			}
		}
		return { checked: ids.size, failed };
	}

	const safely = ( name: string, fn: () => Promise< unknown > ) => () => {
		fn().catch( ( error ) => log.error( { err: error }, `${ name } failed` ) );
	};

	return {
		drainOutbox,
		runDueJobs,
		reconcile,
		/** Work now (after a nudge from PHP), without waiting for the next poll. */
		nudge() {
			safely( 'outbox drain', async () => {
				await drainOutbox();
				await runDueJobs();
			} )();
		},
		start() {
			stopped = false;
			safely( 'start-up reconcile', async () => {
				await reconcile();
				await drainOutbox();
				await runDueJobs();
			} )();
			timers.push( setInterval( safely( 'outbox drain', drainOutbox ), deps.outboxPollSeconds * 1000 ) );
			timers.push( setInterval( safely( 'jobs', runDueJobs ), Math.max( 1, deps.outboxPollSeconds ) * 1000 ) );
			timers.push( setInterval( safely( 'reconcile', reconcile ), deps.reconcileIntervalSeconds * 1000 ) );
			timers.forEach( ( t ) => t.unref() );
		},
		async stop() {
			stopped = true;
			timers.splice( 0 ).forEach( clearInterval );
			await draining?.catch( () => undefined );
		},
	};
}

export type Workers = ReturnType< typeof createWorkers >;

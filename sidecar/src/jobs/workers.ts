/**
 * Background work of one sidecar instance: drains the outbox, runs due jobs and reconciles on a
 * timer. Each step is also callable directly (tests, the nudge route). Several instances share
 * the work through SKIP LOCKED claims.
 *
 * Booking syncs run many at a time (BKX_VIDEO_SYNC_CONCURRENCY): their locks share one connection
 * and their reads and writes are coalesced into few queries (src/db/batch.ts), so a burst of
 * bookings costs a few queries per batch rather than per booking. Each booking succeeds or fails
 * on its own. When a platform
 * answers 429, the instance stops starting syncs until its Retry-After has passed (one shared "not
 * before", so the rest of the queue does not hammer a limited API), gives the claimed rows it has
 * not started back for that moment, and wakes itself up then instead of waiting for the next poll.
 */
import type { FastifyBaseLogger } from 'fastify';

import { PlatformError } from '../platforms/video-platform';
import type { BookingsRepository } from '../repositories/bookings-repository';
import type { ConsultationsRepository } from '../repositories/consultations-repository';
import { retryDelaySeconds, type Job, type QueueRepository } from '../repositories/queue-repository';
import type { BookingSync } from '../services/booking-sync';

export interface PeriodicJob {
	kind: string;
	everySeconds: number;
	when?: () => Promise< boolean >;
}

/** What a job handler knows about its run. */
export interface JobContext {
	/** This attempt, counting from 1. */
	attempt: number;
	/** No retry follows if this attempt fails: a handler records the failure where users see it. */
	lastAttempt: boolean;
	/** Keeps the claim alive during long work (downloads, ffmpeg); cheap to call often. */
	heartbeat(): void;
}

export type JobHandler = ( payload: never, idempotencyKey: string, context: JobContext ) => Promise< void >;

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
	/** Syncs at once (BKX_VIDEO_SYNC_CONCURRENCY); default 200, a whole claim. */
	concurrency?: number;
	/**
	 * How long a claimed job stays with this instance without a heartbeat (BKX_VIDEO_JOB_LEASE_SECONDS);
	 * a job of an instance that died is taken up again after it. Default 120.
	 */
	jobLeaseSeconds?: number;
	/**
	 * Jobs queued on a timer (sweeps): every instance queues the job of the current period, keyed
	 * `<kind>:<period start, ISO>`, so it runs once per period however many instances there are.
	 * `when` (optional) says whether it is needed at all now (e.g. Teams is configured).
	 */
	periodicJobs?: PeriodicJob[];
}

const BATCH = 200;
const LEASE_SECONDS = 120;
/** Jobs claimed at once, and webhook jobs run at once. */
const JOB_BATCH = 50;
const WEBHOOK_JOB_CONCURRENCY = 16;
/** Claim rounds of jobs per pass (50 each); a pass that reaches it is followed by another at once. */
const MAX_JOB_ROUNDS = 20;
/** Claim rounds per drain (50 rows each): bounds one drain; the next poll or wake-up continues. */
const MAX_ROUNDS = 200;
/**
 * A Retry-After up to this long pauses the whole instance (per-second limits: Zoom's QPS, Graph's
 * throttling). A longer one (Zoom's per-user daily cap, until midnight UTC) only delays the event
 * that met it, so other hosts and platforms carry on.
 */
export const MAX_SHARED_PAUSE_SECONDS = 60;

/**
 * Runs `work` over `items`, at most `limit()` at a time (read again as items finish, so the limit
 * may change while it runs), and starts no new item once `halt()` is true. `work` must not throw.
 * Returns the items never started.
 */
async function runBounded< T >( items: T[], max: number, limit: () => number, halt: () => boolean, work: ( item: T ) => Promise< void > ): Promise< T[] > {
	let next = 0;
	let parked: Array< () => void > = [];
	const wakeAll = () => {
		const waiting = parked;
		parked = [];
		waiting.forEach( ( resume ) => resume() );
	};
	const lane = async ( index: number ) => {
		while ( next < items.length && ! halt() ) {
			if ( index >= Math.max( 1, limit() ) ) {
				// Above the current limit: wait until an item finishes, then look again.
				await new Promise< void >( ( resume ) => parked.push( resume ) );
				continue;
			}
			await work( items[ next++ ]! );
			wakeAll();
		}
		wakeAll();
	};
	await Promise.all( Array.from( { length: Math.max( 1, Math.min( max, items.length ) ) }, ( _, i ) => lane( i ) ) );
	return items.slice( next );
}

export function createWorkers( deps: Deps ) {
	const { queue, sync, log, clock } = deps;
	const concurrency = deps.concurrency ?? 200;
	const jobLeaseSeconds = deps.jobLeaseSeconds ?? LEASE_SECONDS;
	/**
	 * Syncs allowed at once now, as TCP paces itself: all of them until a platform answers 429;
	 * then one, doubling with each success up to half of what met the 429, then one more per
	 * round of successes. A limited API is not met with a wave of requests every time its
	 * Retry-After ends; an unlimited one never slows down.
	 */
	let lanes = concurrency;
	let threshold = concurrency;
	/** Counts the cuts: a sync that started before the last cut does not widen the lanes again. */
	let cuts = 0;
	const succeeded = ( startedAtCut: number ) => {
		if ( startedAtCut === cuts ) {
			lanes = Math.min( concurrency, lanes < threshold ? lanes + 1 : lanes + 1 / lanes );
		}
	};
	const timers: NodeJS.Timeout[] = [];
	let draining: Promise< number > | null = null;
	let drainAgain = false;
	let stopped = false;
	let running = false;
	let reconciling: Promise< { checked: number; failed: number } > | null = null;
	/** The shared "not before" (clock ms) after a 429; 0 when no platform asked us to wait. */
	let pausedUntil = 0;
	let wake: NodeJS.Timeout | null = null;
	const sleepers = new Set< () => void >();
	let jobsRun: Promise< number > | null = null;
	let jobsAgain = false;

	const pauseLeftMs = () => ( pausedUntil ? pausedUntil - clock().getTime() : 0 );
	const halted = () => stopped || pauseLeftMs() > 0;

	/** Drains again when the pause ends (only while started: tests drive the steps themselves). */
	function scheduleWake(): void {
		if ( ! running || stopped ) {
			return;
		}
		if ( wake ) {
			clearTimeout( wake );
		}
		wake = setTimeout( () => {
			wake = null;
			if ( pauseLeftMs() > 0 ) {
				scheduleWake();
				return;
			}
			safely( 'outbox drain', drainThenJobs )();
		}, Math.max( 0, pauseLeftMs() ) + 5 );
		wake.unref();
	}

	/**
	 * Records a vendor's "wait": pauses the instance for short waits and plans the wake-up.
	 * Returns the retry delay from `now` (the same moment the caller stores, so a row is never
	 * due after the pause it belongs to ends).
	 */
	function noteFailure( error: unknown, attempts: number, bookingId: number, now: Date ): number {
		const limited = error instanceof PlatformError && error.code === 'rate_limited';
		const delay = retryDelaySeconds( attempts, {
			rateLimited: limited,
			retryAfterSeconds: error instanceof PlatformError ? error.retryAfterSeconds : undefined,
		} );
		if ( limited && lanes > 1 ) {
			// Once per wave: the other syncs in flight meet the same 429.
			threshold = Math.max( 1, Math.floor( lanes / 2 ) );
			lanes = 1;
			cuts++;
		}
		if ( limited && delay <= MAX_SHARED_PAUSE_SECONDS ) {
			const until = now.getTime() + delay * 1000;
			if ( until > pausedUntil ) {
				pausedUntil = until;
				log.info( { bookingId, seconds: delay }, 'platform rate limit: pausing syncs until its Retry-After has passed' );
				scheduleWake();
			}
		}
		return delay;
	}

	/** Waits out a short pause (reconcile); returns early when the instance stops. */
	async function waitOutPause(): Promise< void > {
		const left = pauseLeftMs();
		if ( left <= 0 || stopped ) {
			return;
		}
		await new Promise< void >( ( resolve ) => {
			const done = () => {
				clearTimeout( timer );
				sleepers.delete( done );
				resolve();
			};
			const timer = setTimeout( done, Math.min( left, MAX_SHARED_PAUSE_SECONDS * 1000 ) + 5 );
			sleepers.add( done );
		} );
	}

	async function syncEvents( bookingId: number, ids: number[], attempts: number ): Promise< void > {
		const cut = cuts;
		try {
			await sync.syncBooking( bookingId );
			succeeded( cut );
			await queue.markEventsDone( ids, clock() );
		} catch ( error ) {
			const now = clock();
			const delay = noteFailure( error, attempts + 1, bookingId, now );
			log.warn( { err: error, bookingId, retryInSeconds: delay }, 'outbox event failed; will retry with backoff' );
			await queue.markEventsFailed( ids, error instanceof Error ? error.message : String( error ), now, delay ).catch( ( e: unknown ) => {
				// The claim expires by itself; the rows are retried after the lease.
				log.error( { err: e, bookingId }, 'could not record the failed outbox event' );
			} );
		}
	}

	async function drainOnce(): Promise< number > {
		let handled = 0;
		if ( pausedUntil && pauseLeftMs() <= 0 ) {
			pausedUntil = 0;
		}
		for ( let round = 0; round < MAX_ROUNDS && ! halted(); round++ ) {
			const events = await queue.claimEvents( BATCH, LEASE_SECONDS, clock() );
			if ( ! events.length ) {
				break;
			}
			// Several rows of one booking need one sync.
			const byBooking = new Map< number, { ids: number[]; attempts: number } >();
			for ( const e of events ) {
				const group = byBooking.get( e.bookingId ) ?? { ids: [], attempts: 0 };
				group.ids.push( e.id );
				group.attempts = Math.max( group.attempts, e.attempts );
				byBooking.set( e.bookingId, group );
			}
			const notStarted = await runBounded( [ ...byBooking ], concurrency, () => Math.floor( lanes ), halted, async ( [ bookingId, group ] ) => {
				await syncEvents( bookingId, group.ids, group.attempts );
				handled += group.ids.length;
			} );
			if ( notStarted.length ) {
				// Paused (or stopping): these were not tried, so they keep their attempts and are
				// claimable again when the platform accepts calls (at once when stopping).
				await queue.releaseEvents(
					notStarted.flatMap( ( [ , g ] ) => g.ids ),
					new Date( Math.max( clock().getTime(), pausedUntil ) )
				);
				break;
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
			} while ( drainAgain && ! halted() );
			return total;
		} )().finally( () => {
			draining = null;
		} );
		return draining;
	}

	async function runJob( job: Job ): Promise< void > {
		const handler = deps.handlers[ job.kind ];
		// The claim is renewed while the handler says it is alive, at most every third of the lease.
		let renewedAt = Date.now();
		const heartbeat = () => {
			if ( Date.now() - renewedAt < ( jobLeaseSeconds * 1000 ) / 3 ) {
				return;
			}
			renewedAt = Date.now();
			queue.extendJobClaim( job.id, jobLeaseSeconds, clock() ).catch( ( error: unknown ) => log.warn( { err: error, jobId: job.id }, 'could not renew a job claim' ) );
		};
		try {
			if ( ! handler ) {
				throw new Error( `No handler for job kind "${ job.kind }"` );
			}
			await handler( job.payload as never, job.idempotencyKey, { attempt: job.attempts + 1, lastAttempt: job.attempts + 1 >= job.maxAttempts, heartbeat } );
			await queue.completeJob( job.id, clock() );
		} catch ( error ) {
			log.warn( { err: error, jobId: job.id, kind: job.kind, attempts: job.attempts + 1 }, 'job failed' );
			await queue.failJob( job, error instanceof Error ? error.message : String( error ), clock() );
		}
	}

	async function runDueJobsOnce(): Promise< number > {
		let handled = 0;
		for ( let round = 0; ! stopped; round++ ) {
			if ( round === MAX_JOB_ROUNDS ) {
				// A pass is bounded, but a backlog must not wait for the next poll (up to
				// BKX_VIDEO_OUTBOX_POLL_SECONDS): another pass follows at once.
				jobsAgain = true;
				break;
			}
			const jobs = await queue.claimJobs( JOB_BATCH, jobLeaseSeconds, clock() );
			if ( ! jobs.length ) {
				break;
			}
			// Webhook work runs several at a time (it is order-insensitive and locks per
			// consultation); e-mails and the rest one after another, in the order they were queued.
			const together = jobs.filter( ( j ) => j.kind.startsWith( 'webhook.' ) );
			const inOrder = jobs.filter( ( j ) => ! j.kind.startsWith( 'webhook.' ) );
			await Promise.all( [
				runBounded( together, WEBHOOK_JOB_CONCURRENCY, () => WEBHOOK_JOB_CONCURRENCY, () => false, runJob ),
				( async () => {
					for ( const job of inOrder ) {
						await runJob( job );
					}
				} )(),
			] );
			handled += jobs.length;
		}
		return handled;
	}

	/**
	 * Runs due jobs. Concurrent calls (a nudge per booking request, the timer) coalesce into one
	 * extra pass, as for the outbox: claims racing each other on one instance only deadlock.
	 */
	async function runDueJobs(): Promise< number > {
		if ( jobsRun ) {
			jobsAgain = true;
			return jobsRun;
		}
		jobsRun = ( async () => {
			let total = 0;
			do {
				jobsAgain = false;
				total += await runDueJobsOnce();
			} while ( jobsAgain && ! stopped );
			return total;
		} )().finally( () => {
			jobsRun = null;
		} );
		return jobsRun;
	}

	/**
	 * Compares bookings with consultations and fixes drift (missed hooks, failed calls). A couple of
	 * bookings at a time, waiting out a platform's short Retry-After; one pass at a time.
	 */
	async function reconcile(): Promise< { checked: number; failed: number } > {
		if ( reconciling ) {
			return reconciling;
		}
		reconciling = ( async () => {
			const ids = [ ...new Set( [ ...( await deps.bookings.listVideoBookingIds( clock() ) ), ...( await deps.consultations.listOpenBookingIds() ) ] ) ];
			let failed = 0;
			// Half the lanes: a reconcile pass may overlap a drain, and it also reads every meeting.
			const notStarted = await runBounded( ids, Math.max( 1, Math.floor( concurrency / 2 ) ), () => Math.floor( lanes / 2 ), () => stopped, async ( id ) => {
				await waitOutPause();
				if ( stopped ) {
					return;
				}
				const cut = cuts;
				try {
					await sync.syncBooking( id, { verifyRemote: true } );
					succeeded( cut );
				} catch ( error ) {
					failed++;
					noteFailure( error, 1, id, clock() );
					log.warn( { err: error, bookingId: id }, 'reconcile could not sync booking' );
				}
			} );
			return { checked: ids.length - notStarted.length, failed };
		} )().finally( () => {
			reconciling = null;
		} );
		return reconciling;
	}

	/** A drain, then the jobs it queued (invitations) and any others due. */
	async function drainThenJobs(): Promise< void > {
		await drainOutbox();
		await runDueJobs();
	}

	/** Queues the job of the current period (idempotent: one per period across instances). */
	async function queuePeriodic( periodic: PeriodicJob ): Promise< void > {
		if ( periodic.when && ! ( await periodic.when() ) ) {
			return;
		}
		const now = clock();
		const every = periodic.everySeconds * 1000;
		const slot = new Date( Math.floor( now.getTime() / every ) * every );
		await queue.enqueueJob( periodic.kind, { slot: slot.toISOString() }, `${ periodic.kind }:${ slot.toISOString() }`, slot, now );
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
			safely( 'outbox drain', drainThenJobs )();
		},
		/** Queues the current period's periodic jobs (the timers do it; tests call it directly). */
		async queuePeriodicJobs(): Promise< void > {
			for ( const periodic of deps.periodicJobs ?? [] ) {
				await queuePeriodic( periodic );
			}
		},
		/** Run due jobs now (a webhook queued one); concurrent calls coalesce. */
		nudgeJobs() {
			safely( 'jobs', runDueJobs )();
		},
		start() {
			stopped = false;
			running = true;
			safely( 'start-up reconcile', async () => {
				await reconcile();
				await drainOutbox();
				await runDueJobs();
			} )();
			timers.push( setInterval( safely( 'outbox drain', drainThenJobs ), deps.outboxPollSeconds * 1000 ) );
			// Bookings first: while the outbox drains, jobs wait for the drain to end (it runs them).
			timers.push( setInterval( safely( 'jobs', async () => ( draining ? 0 : runDueJobs() ) ), Math.max( 1, deps.outboxPollSeconds ) * 1000 ) );
			timers.push( setInterval( safely( 'reconcile', reconcile ), deps.reconcileIntervalSeconds * 1000 ) );
			for ( const periodic of deps.periodicJobs ?? [] ) {
				const tick = safely( periodic.kind, async () => {
					await queuePeriodic( periodic );
					await runDueJobs();
				} );
				tick();
				timers.push( setInterval( tick, periodic.everySeconds * 1000 ) );
			}
			timers.forEach( ( t ) => t.unref() );
		},
		async stop() {
			stopped = true;
			running = false;
			timers.splice( 0 ).forEach( clearInterval );
			if ( wake ) {
				clearTimeout( wake );
				wake = null;
			}
			[ ...sleepers ].forEach( ( done ) => done() );
			await Promise.all( [ draining, reconciling, jobsRun ].map( ( p ) => p?.catch( () => undefined ) ) );
		},
	};
}

export type Workers = ReturnType< typeof createWorkers >;

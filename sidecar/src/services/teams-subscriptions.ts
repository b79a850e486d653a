/**
 * Keeps a Microsoft Graph subscription on the call events of each Teams meeting that may be running
 * (reference §2.5), so its start, end and roster reach the session tracker.
 *
 * Teams subscriptions live at most an hour, and Graph validates our notification URL on each
 * create, so subscriptions are not made at booking time. A sweep (job `teams.subscriptions`, every
 * {@link SWEEP_EVERY_MS} while Teams is configured: a periodic job of the workers, queued once per
 * slot whatever the number of instances) does it all:
 * - subscribes meetings starting within {@link SUBSCRIBE_LEAD_MS} (random clientState, stored as a
 *   hash), asking for {@link SUBSCRIPTION_LIFETIME_MS};
 * - renews those with less than {@link RENEW_WHEN_LEFT_MS} left while the meeting may still run
 *   (until {@link AFTER_END_MS} after its slot, {@link RUNNING_AFTER_END_MS} while in progress);
 * - deletes the subscription once the meeting ended, the consultation was cancelled or completed,
 *   moved to another time, or got another meeting.
 * Lifecycle notifications (from the same route) come here through the `webhook.teams` job:
 * reauthorizationRequired → reauthorize; subscriptionRemoved → subscribe again if still needed;
 * missed → noted (attendance of that meeting is then not known) and the subscription re-read.
 *
 * "Watched": the meeting had a live subscription from {@link EARLY_JOIN_MARGIN_MS} before its start
 * without a gap. Only then is a Teams consultation's attendance known (no-show decisions); any
 * doubt (subscribed late, lapsed, missed notifications) leaves it unknown.
 *
 * Sweeps and lifecycle handling of all instances take one named lock, so two never subscribe the
 * same meeting twice.
 */
import { randomBytes } from 'node:crypto';

import type { FastifyBaseLogger } from 'fastify';
import type { Knex } from 'knex';

import type { Settings } from '@bkx-video/contracts';

import { withNamedLock } from '../db/named-lock';
import type { Tables } from '../db/tables';
import { createTeamsSubscriptions, type TeamsSubscriptions } from '../platforms/teams/subscriptions';
import { PlatformError, type PlatformEnv } from '../platforms/video-platform';
import type { Consultation, ConsultationsRepository } from '../repositories/consultations-repository';
import type { QueueRepository } from '../repositories/queue-repository';
import type { TeamsMeetingCandidate, TeamsSubscriptionRow, TeamsSubscriptionsRepository } from '../repositories/teams-subscriptions-repository';
import { hashClientState } from '../webhooks/teams';
import type { SettingsService } from './settings-service';

const MINUTE = 60_000;
/** Subscribe meetings starting this soon (Teams subscriptions live an hour at most). */
export const SUBSCRIBE_LEAD_MS = 30 * MINUTE;
/** Lifetime asked for: under Graph's 60-minute limit for Teams resources. */
export const SUBSCRIPTION_LIFETIME_MS = 55 * MINUTE;
/** Renew when less than this is left (several sweeps get a chance before it expires). */
export const RENEW_WHEN_LEFT_MS = 20 * MINUTE;
/** A meeting not (known to be) started may still begin this long after its slot ends. */
export const AFTER_END_MS = 30 * MINUTE;
/** A meeting in progress may run over its slot this long (overtime). */
export const RUNNING_AFTER_END_MS = 4 * 60 * MINUTE;
/** How often the sweep runs. */
export const SWEEP_EVERY_MS = 5 * MINUTE;
/** Joins this long before the start must have been watched for attendance to count as known. */
export const EARLY_JOIN_MARGIN_MS = 10 * MINUTE;
/** Ended rows are forgotten after this. */
const PRUNE_AFTER_MS = 30 * 24 * 60 * MINUTE;

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface TeamsSubscriptionsDeps {
	knex: Knex;
	tables: Tables;
	repo: TeamsSubscriptionsRepository;
	consultations: ConsultationsRepository;
	queue: QueueRepository;
	settings: SettingsService;
	platformEnv: PlatformEnv;
	/** The plugin's public Teams webhook route (config.teamsNotificationUrl), for both URLs. */
	notificationUrl: string;
	clock: () => Date;
	log: FastifyBaseLogger;
	/** Runs due jobs soon (the worker's nudge). */
	nudge: () => void;
}

export interface SweepResult {
	skipped?: 'not_configured' | 'notification_url_not_https';
	subscribed: number;
	renewed: number;
	deleted: number;
	failed: number;
}

const configured = ( s: Settings ) => Boolean( s.teams_tenant_id && s.teams_client_id && s.teams_client_secret );
const reason = ( error: unknown ) => ( error instanceof Error ? error.message : String( error ) ).slice( 0, 500 );

/** Whether a meeting may be running (or start soon) at `now`, so that it needs a subscription. */
export function needsSubscription( c: Pick< TeamsMeetingCandidate, 'joinUrl' | 'status' | 'scheduledStart' | 'scheduledEnd' >, now: Date ): boolean {
	if ( ! c.joinUrl || ! [ 'pending', 'scheduled', 'in_progress', 'no_show' ].includes( c.status ) ) {
		return false;
	}
	const from = c.scheduledStart.getTime() - SUBSCRIBE_LEAD_MS;
	const until = c.scheduledEnd.getTime() + ( c.status === 'in_progress' ? RUNNING_AFTER_END_MS : AFTER_END_MS );
	return now.getTime() >= from && now.getTime() <= until;
}

export function createTeamsSubscriptionsService( deps: TeamsSubscriptionsDeps ) {
	const { repo, clock, log } = deps;
	const lockName = `${ deps.tables.teamsSubscriptions }:sweep`;
	const clients = new WeakMap< Settings, TeamsSubscriptions >();
	const graphFor = ( settings: Settings ) => {
		let client = clients.get( settings );
		if ( ! client ) {
			client = createTeamsSubscriptions( { ...deps.platformEnv, settings } );
			clients.set( settings, client );
		}
		return client;
	};
	const keyOf = ( consultationId: number | null, meetingId: string ) => `${ consultationId ?? 0 }\n${ meetingId }`;
	/** A lapse matters only once people may be joining. */
	const inWatchWindow = ( c: Pick< TeamsMeetingCandidate, 'scheduledStart' > | null, now: Date ) =>
		! c || now.getTime() >= c.scheduledStart.getTime() - EARLY_JOIN_MARGIN_MS;
	/** The real Graph (not a local fake) with an http notification URL. */
	const insecureForGraph = ! deps.notificationUrl.startsWith( 'https:' ) && /(^|\.)graph\.microsoft\.(com|us|de)$|microsoftgraph\.chinacloudapi\.cn$/i.test( new URL( deps.platformEnv.urls.graphApi ).hostname );

	async function subscribe( graph: TeamsSubscriptions, c: TeamsMeetingCandidate, row: TeamsSubscriptionRow | null, now: Date ): Promise< boolean > {
		const clientState = randomBytes( 32 ).toString( 'base64url' );
		try {
			const made = await graph.create( {
				joinWebUrl: c.joinUrl,
				notificationUrl: deps.notificationUrl,
				lifecycleNotificationUrl: deps.notificationUrl,
				clientState,
				expiresAt: new Date( now.getTime() + SUBSCRIPTION_LIFETIME_MS ),
			} );
			// Watched since the first subscription, unless the meeting was let go in between.
			const continuing = row !== null && row.state === 'lapsed' && row.watchedSince !== null;
			await repo.saveActive(
				{ consultationId: c.consultationId, meetingId: c.meetingId },
				{
					subscriptionId: made.id,
					clientStateHash: hashClientState( clientState ),
					expiresAt: made.expiresAt,
					watchedSince: continuing ? row.watchedSince! : now,
					coverageGap: continuing ? row.coverageGap : false,
				},
				now
			);
			log.info( { consultationId: c.consultationId, subscriptionId: made.id, expiresAt: made.expiresAt.toISOString() }, 'Teams call events subscribed' );
			return true;
		} catch ( error ) {
			await repo.saveFailure( { consultationId: c.consultationId, meetingId: c.meetingId }, reason( error ), now );
			if ( error instanceof PlatformError && error.code === 'rate_limited' ) {
				throw error;
			}
			log.warn( { err: error, consultationId: c.consultationId }, 'could not subscribe to the Teams meeting\'s call events; the next sweep tries again' );
			return false;
		}
	}

	/** Graph no longer has the subscription: a gap only if people may have been joining meanwhile. */
	async function lapse( row: TeamsSubscriptionRow, c: TeamsMeetingCandidate | null, now: Date ): Promise< TeamsSubscriptionRow > {
		const gap = inWatchWindow( c, now ) && row.watchedSince !== null;
		await repo.lapse( row.id, gap, now );
		return { ...row, state: 'lapsed', subscriptionId: null, clientStateHash: null, coverageGap: gap, watchedSince: gap ? row.watchedSince : null };
	}

	/** Deletes a subscription we no longer want; one Graph cannot be asked about just expires. */
	async function release( graph: TeamsSubscriptions | null, row: TeamsSubscriptionRow, now: Date ): Promise< boolean > {
		if ( row.subscriptionId && graph ) {
			try {
				await graph.remove( row.subscriptionId );
			} catch ( error ) {
				const transient = error instanceof PlatformError && ( error.code === 'unavailable' || error.code === 'rate_limited' );
				if ( transient ) {
					await repo.setError( row.id, reason( error ), now );
					throw error;
				}
				// Refused (credentials changed …): it expires within the hour by itself.
				log.warn( { err: error, subscriptionId: row.subscriptionId }, 'could not delete a Teams subscription; it expires by itself' );
			}
		}
		await repo.end( row.id, now );
		return true;
	}

	async function candidateFor( consultationId: number | null, meetingId: string ): Promise< TeamsMeetingCandidate | null > {
		if ( consultationId === null ) {
			return null;
		}
		const c = await deps.consultations.findById( consultationId, { fresh: true } );
		if ( ! c || c.platform !== 'teams' || c.meetingId !== meetingId || c.actualEnd ) {
			return null;
		}
		return { consultationId: c.id, meetingId: c.meetingId, joinUrl: c.joinUrl, status: c.status, scheduledStart: c.scheduledStart, scheduledEnd: c.scheduledEnd };
	}

	async function sweepLocked(): Promise< SweepResult > {
		const result: SweepResult = { subscribed: 0, renewed: 0, deleted: 0, failed: 0 };
		const settings = await deps.settings.get();
		if ( ! configured( settings ) ) {
			return { ...result, skipped: 'not_configured' };
		}
		if ( insecureForGraph ) {
			// Microsoft refuses http notification URLs: every subscribe would fail the same way.
			log.warn( { notificationUrl: deps.notificationUrl }, 'Teams call events are off: Microsoft Graph needs an https notification URL (BKX_VIDEO_TEAMS_NOTIFICATION_URL or the site URL)' );
			return { ...result, skipped: 'notification_url_not_https' };
		}
		const graph = graphFor( settings );
		const now = clock();
		const candidates = await repo.listCandidates( new Date( now.getTime() + SUBSCRIBE_LEAD_MS ), new Date( now.getTime() - RUNNING_AFTER_END_MS ) );
		const wanted = candidates.filter( ( c ) => needsSubscription( c, now ) );
		const rows = await repo.listOpen( candidates.map( ( c ) => c.consultationId ) );
		const byKey = new Map( rows.map( ( r ) => [ keyOf( r.consultationId, r.meetingId ), r ] ) );
		const wantedKeys = new Set( wanted.map( ( c ) => keyOf( c.consultationId, c.meetingId ) ) );
		try {
			for ( const c of wanted ) {
				let row = byKey.get( keyOf( c.consultationId, c.meetingId ) ) ?? null;
				try {
					if ( row?.state === 'active' && row.subscriptionId && row.expiresAt && row.expiresAt > now ) {
						if ( row.expiresAt.getTime() - now.getTime() >= RENEW_WHEN_LEFT_MS ) {
							continue;
						}
						try {
							const renewed = await graph.renew( row.subscriptionId, new Date( now.getTime() + SUBSCRIPTION_LIFETIME_MS ) );
							await repo.setExpiry( row.id, renewed.expiresAt, now );
							result.renewed++;
							continue;
						} catch ( error ) {
							if ( ! ( error instanceof PlatformError && error.code === 'not_found' ) ) {
								throw error;
							}
							log.info( { consultationId: c.consultationId, subscriptionId: row.subscriptionId }, 'Teams subscription gone at renewal; subscribing again' );
							row = await lapse( row, c, now );
						}
					} else if ( row?.state === 'active' ) {
						// Expired before we renewed it (sidecar down, Graph failing): events may be lost.
						log.warn( { consultationId: c.consultationId, subscriptionId: row.subscriptionId }, 'Teams subscription expired before renewal; subscribing again' );
						row = await lapse( row, c, now );
					}
					if ( await subscribe( graph, c, row?.state === 'ended' ? null : row, now ) ) {
						result.subscribed++;
					} else {
						result.failed++;
					}
				} catch ( error ) {
					if ( error instanceof PlatformError && error.code === 'rate_limited' ) {
						throw error;
					}
					result.failed++;
					if ( row ) {
						await repo.setError( row.id, reason( error ), now );
					}
					log.warn( { err: error, consultationId: c.consultationId }, 'Teams subscription renewal failed; the next sweep tries again' );
				}
			}
			for ( const row of rows ) {
				if ( row.state === 'ended' || wantedKeys.has( keyOf( row.consultationId, row.meetingId ) ) ) {
					continue;
				}
				try {
					await release( row.state === 'active' ? graph : null, row, now );
					result.deleted += row.state === 'active' ? 1 : 0;
				} catch ( error ) {
					if ( error instanceof PlatformError && error.code === 'rate_limited' ) {
						throw error;
					}
					result.failed++;
					log.warn( { err: error, subscriptionId: row.subscriptionId }, 'could not delete a Teams subscription; the next sweep tries again' );
				}
			}
		} catch ( error ) {
			// Graph asked us to wait: the rest waits for the next sweep.
			log.warn( { err: error }, 'Teams subscriptions sweep stopped early: Graph is rate limiting' );
			result.failed++;
		}
		await repo.pruneEnded( new Date( now.getTime() - PRUNE_AFTER_MS ) );
		return result;
	}

	async function onLifecycleLocked( rowId: number, subscriptionId: string, event: LifecycleEvent ): Promise< void > {
		const now = clock();
		const row = await repo.findById( rowId );
		if ( ! row || row.subscriptionId !== subscriptionId ) {
			log.info( { subscriptionId, event }, 'Teams lifecycle notification for a subscription we no longer hold; ignored' );
			return;
		}
		const settings = await deps.settings.get();
		if ( ! configured( settings ) ) {
			log.warn( { subscriptionId, event }, 'Teams lifecycle notification, but Teams is not configured any more; ignored' );
			return;
		}
		const graph = graphFor( settings );
		const c = await candidateFor( row.consultationId, row.meetingId );
		const needed = c !== null && needsSubscription( c, now );
		const again = async ( lapsed: TeamsSubscriptionRow ) => {
			if ( needed ) {
				await subscribe( graph, c, lapsed, now );
			} else {
				await repo.end( lapsed.id, now );
			}
		};
		if ( event === 'reauthorizationRequired' ) {
			try {
				await graph.reauthorize( subscriptionId );
				log.info( { subscriptionId }, 'Teams subscription reauthorized' );
			} catch ( error ) {
				if ( ! ( error instanceof PlatformError && error.code === 'not_found' ) ) {
					throw error;
				}
				await again( await lapse( row, c, now ) );
			}
			return;
		}
		if ( event === 'subscriptionRemoved' ) {
			log.warn( { subscriptionId, consultationId: row.consultationId }, 'Graph removed a Teams subscription; subscribing again if the meeting still needs it' );
			await again( await lapse( row, c, now ) );
			return;
		}
		if ( event === 'missed' ) {
			// Graph could not deliver some notifications and does not say which: this meeting's
			// attendance is no longer known. What can be re-read is whether the subscription lives.
			log.warn( { subscriptionId, consultationId: row.consultationId }, 'Graph missed Teams notifications; this consultation\'s attendance is not counted' );
			if ( inWatchWindow( c, now ) ) {
				await repo.markGap( row.id, now );
			}
			if ( ! ( await graph.exists( subscriptionId ) ) ) {
				await again( await lapse( ( await repo.findById( row.id ) ) ?? row, c, now ) );
			}
			return;
		}
		log.info( { subscriptionId, event }, 'Teams lifecycle event we do not know; ignored' );
	}

	const sweep = (): Promise< SweepResult > => withNamedLock( deps.knex, lockName, 120, sweepLocked );

	return {
		/** One sweep now (what the `teams.subscriptions` job does; tests call it directly). */
		sweep,

		/** A lifecycle notification (from the `webhook.teams` job). @throws PlatformError when Graph fails (the job retries). */
		onLifecycle( rowId: number, subscriptionId: string, event: LifecycleEvent ): Promise< void > {
			return withNamedLock( deps.knex, lockName, 120, () => onLifecycleLocked( rowId, subscriptionId, event ) );
		},

		/**
		 * Whether this Teams consultation's meeting was watched without a gap from before its start
		 * (so its attendance is known) and still is.
		 */
		async watched( c: Consultation ): Promise< boolean > {
			if ( c.platform !== 'teams' || ! c.meetingId ) {
				return false;
			}
			const row = await repo.findFor( c.id, c.meetingId );
			return Boolean(
				row &&
					row.state === 'active' &&
					! row.coverageGap &&
					row.watchedSince &&
					row.watchedSince.getTime() <= c.scheduledStart.getTime() - EARLY_JOIN_MARGIN_MS &&
					row.expiresAt &&
					row.expiresAt > clock()
			);
		},

		/** Whether sweeps are needed at all (the periodic job's `when`). */
		async isConfigured(): Promise< boolean > {
			return configured( await deps.settings.get() );
		},

		/** A sweep as soon as the jobs run (after a meeting ended), once per `why`. */
		async sweepSoon( why: string ): Promise< void > {
			const now = clock();
			await deps.queue.enqueueJob( 'teams.subscriptions', { why }, `teams.subscriptions:${ why }`.slice( 0, 191 ), now, now );
			deps.nudge();
		},
	};
}

export type TeamsSubscriptionsService = ReturnType< typeof createTeamsSubscriptionsService >;

/**
 * Microsoft Graph notifications for Teams (platform-contracts §2.5), through the plugin's public
 * route: the validation handshake, the clientState check per item, each valid item recorded once
 * and its work queued (`webhook.teams`), so the answer (202) goes back well within Graph's 3 s.
 *
 * The job maps call events to session events (services/session-tracker.ts) and hands lifecycle
 * events to the subscriptions service (services/teams-subscriptions.ts).
 */
import type { FastifyBaseLogger } from 'fastify';

import { AppError } from '../errors';
import { parseMeetingKey } from '../platforms/teams/adapter';
import type { QueueRepository } from '../repositories/queue-repository';
import type { TeamsSubscriptionsRepository } from '../repositories/teams-subscriptions-repository';
import type { WebhookEventsRepository } from '../repositories/webhook-events-repository';
import type { SessionEvent, SessionParticipant, SessionTracker } from '../services/session-tracker';
import type { LifecycleEvent, TeamsSubscriptionsService } from '../services/teams-subscriptions';
import {
	GraphNotificationBatchSchema,
	MAX_VALIDATION_TOKEN,
	clientStateMatches,
	parseCallEvent,
	teamsEventKey,
	type CallParticipant,
} from './teams';
import { createRecentKeys } from './recent-keys';

export interface TeamsIngestDeps {
	subscriptions: TeamsSubscriptionsRepository;
	webhookEvents: WebhookEventsRepository;
	queue: QueueRepository;
	clock: () => Date;
	log: FastifyBaseLogger;
	/** Runs due jobs soon (the worker's nudge). */
	nudge: () => void;
}

export type TeamsAnswer = { status: 200; contentType: 'text/plain; charset=utf-8'; body: string } | { status: 202; body: { received: number; duplicates: number } };

/** What a `webhook.teams` job carries (never the clientState). */
export type TeamsJobPayload =
	| { kind: 'lifecycle'; event: string; subscriptionId: string; rowId: number; receivedAt: string }
	| {
			kind: 'notification';
			subscriptionId: string;
			rowId: number;
			consultationId: number | null;
			meetingId: string;
			changeType: string | null;
			resourceData: Record< string, unknown >;
			receivedAt: string;
	  };

export function createTeamsIngest( deps: TeamsIngestDeps ) {
	const recent = createRecentKeys();
	return {
		/**
		 * One POST from Graph: a validation handshake (`?validationToken=`, answered with the token
		 * as text/plain), or notifications `{"value":[…]}`.
		 *
		 * @throws AppError `invalid_request` (400: not a Graph notification body; nothing stored) or
		 *   `webhook_signature_invalid` (401: no item carries the clientState of a subscription of
		 *   ours; nothing stored).
		 */
		async receive( raw: Buffer | undefined, query: Record< string, unknown > ): Promise< TeamsAnswer > {
			const token = query.validationToken;
			if ( token !== undefined ) {
				if ( typeof token !== 'string' || ! token || token.length > MAX_VALIDATION_TOKEN ) {
					throw new AppError( 'invalid_request', { message: 'The validationToken is missing, repeated or too long.' } );
				}
				// Fastify has URL-decoded it already: Graph wants the decoded token back, as is.
				return { status: 200, contentType: 'text/plain; charset=utf-8', body: token };
			}
			let json: unknown;
			try {
				json = JSON.parse( ( raw ?? Buffer.alloc( 0 ) ).toString( 'utf8' ) );
			} catch {
				throw new AppError( 'invalid_request', { message: 'The notification body is not valid JSON.' } );
			}
			const parsed = GraphNotificationBatchSchema.safeParse( json );
			if ( ! parsed.success ) {
				throw new AppError( 'invalid_request', { message: 'The body is not a Microsoft Graph notification batch ({"value":[…]} with a subscriptionId in each item).' } );
			}
			const items = parsed.data.value;
			const rows = await deps.subscriptions.findBySubscriptionIds( [ ...new Set( items.map( ( i ) => i.subscriptionId ) ) ] );
			const valid = items.filter( ( item ) => {
				const row = rows.get( item.subscriptionId );
				// Compared even for an unknown subscription, so both refusals take the same time.
				const ok = clientStateMatches( item.clientState, row?.clientStateHash ?? null ) && row !== undefined;
				if ( ! ok ) {
					// The clientState itself is never logged.
					deps.log.warn( { subscriptionId: item.subscriptionId, reason: row ? 'client_state_mismatch' : 'unknown_subscription' }, 'Teams notification dropped: its clientState is not one of ours' );
				}
				return ok;
			} );
			if ( ! valid.length ) {
				throw new AppError( 'webhook_signature_invalid', {
					message: 'No notification in this batch carries the clientState of a Microsoft Graph subscription of ours.',
					data: { reason: 'client_state_mismatch' },
				} );
			}
			const now = deps.clock();
			let duplicates = 0;
			const work: Array< Promise< unknown > > = [];
			const taken: string[] = [];
			for ( const item of valid ) {
				const row = rows.get( item.subscriptionId )!;
				const key = teamsEventKey( item, now );
				if ( recent.has( key ) || taken.includes( key ) ) {
					duplicates++;
					continue;
				}
				taken.push( key );
				recent.remember( key );
				const payload: TeamsJobPayload = item.lifecycleEvent
					? { kind: 'lifecycle', event: item.lifecycleEvent, subscriptionId: item.subscriptionId, rowId: row.id, receivedAt: now.toISOString() }
					: {
							kind: 'notification',
							subscriptionId: item.subscriptionId,
							rowId: row.id,
							consultationId: row.consultationId,
							meetingId: row.meetingId,
							changeType: item.changeType ?? null,
							resourceData: item.resourceData ?? {},
							receivedAt: now.toISOString(),
					  };
				work.push(
					deps.webhookEvents.record( 'teams', key, item.lifecycleEvent ? `lifecycle.${ item.lifecycleEvent }` : 'notification', now ),
					deps.queue.enqueueJob( 'webhook.teams', payload, `webhook.teams:${ key }`, now, now )
				);
			}
			try {
				await Promise.all( work );
			} catch ( error ) {
				// Not stored: answer an error so Graph delivers again, and do not take that for a duplicate.
				taken.forEach( ( k ) => recent.forget( k ) );
				throw error;
			}
			if ( taken.length ) {
				deps.nudge();
			}
			return { status: 202, body: { received: taken.length, duplicates } };
		},
	};
}

export type TeamsIngest = ReturnType< typeof createTeamsIngest >;

/** Roster entry → session participant: the organizer (by Entra object id) is the host. */
function toParticipant( p: CallParticipant, organizerId: string | null ): SessionParticipant {
	const isOrganizer = organizerId !== null && p.userId !== null && p.userId.toLowerCase() === organizerId.toLowerCase();
	return {
		key: p.key,
		name: p.name,
		email: p.email,
		userId: null,
		// Others: the customer when the e-mail is the booking's, else a guest (the tracker decides).
		role: isOrganizer ? 'host' : undefined,
	};
}

/**
 * `webhook.teams`: applies one stored Graph notification. Call events go to the session tracker
 * (CallStarted → started, CallEnded → ended, roster joined/exited → joined/left, at Graph's
 * `eventDateTime` or else when we received it); lifecycle events to the subscriptions service.
 */
export function createTeamsWebhookJob( deps: { tracker: SessionTracker; subscriptions: TeamsSubscriptionsService; log: FastifyBaseLogger } ) {
	return async ( payload: TeamsJobPayload ): Promise< void > => {
		if ( payload.kind === 'lifecycle' ) {
			await deps.subscriptions.onLifecycle( payload.rowId, payload.subscriptionId, payload.event as LifecycleEvent );
			return;
		}
		const call = parseCallEvent( payload.resourceData );
		if ( ! call ) {
			deps.log.info( { subscriptionId: payload.subscriptionId, changeType: payload.changeType }, 'Teams notification without a call event we use; ignored' );
			return;
		}
		const at = call.at ?? new Date( payload.receivedAt );
		const organizerId = parseMeetingKey( payload.meetingId )?.organizerId ?? null;
		const events: SessionEvent[] = [];
		if ( call.type === 'CallStarted' ) {
			events.push( { kind: 'started', at } );
		} else if ( call.type === 'CallEnded' ) {
			events.push( { kind: 'ended', at } );
		} else {
			events.push( ...call.joined.map( ( p ): SessionEvent => ( { kind: 'joined', at, participant: toParticipant( p, organizerId ) } ) ) );
			events.push( ...call.exited.map( ( p ): SessionEvent => ( { kind: 'left', at, participant: toParticipant( p, organizerId ) } ) ) );
		}
		for ( const event of events ) {
			const outcome = await deps.tracker.applyToMeeting( 'teams', payload.meetingId, event );
			if ( outcome === 'not_found' ) {
				deps.log.info( { subscriptionId: payload.subscriptionId, event: call.type }, 'Teams call event for a meeting that is no longer a consultation of ours; ignored' );
				return;
			}
		}
		if ( call.type === 'CallEnded' && payload.consultationId !== null ) {
			// The meeting is over: its subscription can go now rather than at the next sweep.
			await deps.subscriptions.sweepSoon( `ended:${ payload.consultationId }` );
		}
	};
}

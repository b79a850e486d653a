/**
 * Zoom webhook ingest: verify, answer the URL validation, record the event once, and queue its
 * work (`webhook.zoom`) so the answer goes back within Zoom's 3 s whatever the work costs. The job
 * maps the event to session events (services/session-tracker.ts) or to the recordings pipeline.
 */
import type { FastifyBaseLogger } from 'fastify';

import { AppError } from '../errors';
import type { QueueRepository } from '../repositories/queue-repository';
import type { WebhookEventsRepository } from '../repositories/webhook-events-repository';
import type { SessionEvent, SessionParticipant, SessionTracker } from '../services/session-tracker';
import { ZoomRecordingSchema } from '../platforms/zoom/schemas';
import type { RecordingsPipeline } from '../recordings/pipeline';
import type { SettingsService } from '../services/settings-service';
import {
	ZOOM_EVENTS,
	ZoomEnvelopeSchema,
	ZoomMeetingObjectSchema,
	verifyZoomSignature,
	zoomEventKey,
	zoomUrlValidation,
	type ZoomEventName,
} from './zoom';
import { createRecentKeys } from './recent-keys';

export interface ZoomIngestDeps {
	settings: SettingsService;
	webhookEvents: WebhookEventsRepository;
	queue: QueueRepository;
	clock: () => Date;
	/** Zoom's timestamp is checked against the real time, not the (test-movable) business clock. */
	wallClock: () => Date;
	log: FastifyBaseLogger;
	/** Runs due jobs soon (the worker's nudge). */
	nudge: () => void;
}

export type IngestAnswer = { status: 200; body: Record< string, unknown > };

const SIGNATURE_MESSAGES = {
	webhook_signature_missing: 'The request carries no Zoom signature (x-zm-signature and x-zm-request-timestamp).',
	webhook_timestamp_stale: 'The Zoom signature timestamp is more than 5 minutes away from our clock.',
	webhook_signature_invalid: 'The Zoom signature does not match the webhook secret token.',
} as const;

export function createZoomIngest( deps: ZoomIngestDeps ) {
	const recent = createRecentKeys();
	return {
		/**
		 * @throws AppError 401 (no secret set, missing, stale or wrong signature) or 400 (not a Zoom
		 *   event); nothing is stored then.
		 */
		async receive( raw: Buffer | undefined, headers: { signature?: string; timestamp?: string } ): Promise< IngestAnswer > {
			const settings = await deps.settings.get();
			const secret = settings.zoom_webhook_secret;
			if ( ! secret ) {
				throw new AppError( 'webhook_signature_invalid', { message: 'Zoom webhooks are not set up: enter the Secret Token of your Zoom app in the Zoom settings.' } );
			}
			const body = raw ?? Buffer.alloc( 0 );
			const check = verifyZoomSignature( secret, body, headers.timestamp, headers.signature, deps.wallClock() );
			if ( ! check.ok ) {
				throw new AppError( 'webhook_signature_invalid', { message: SIGNATURE_MESSAGES[ check.code ], data: { reason: check.code } } );
			}
			let json: unknown;
			try {
				json = JSON.parse( body.toString( 'utf8' ) );
			} catch {
				throw new AppError( 'invalid_request', { message: 'The webhook body is not valid JSON.' } );
			}
			const parsed = ZoomEnvelopeSchema.safeParse( json );
			if ( ! parsed.success ) {
				throw new AppError( 'invalid_request', { message: 'The webhook body is not a Zoom event (event, event_ts and payload are required).' } );
			}
			const envelope = parsed.data;
			if ( envelope.event === 'endpoint.url_validation' ) {
				const plainToken = envelope.payload.plainToken;
				if ( typeof plainToken !== 'string' || ! plainToken ) {
					throw new AppError( 'invalid_request', { message: 'The URL validation request has no plainToken.' } );
				}
				return { status: 200, body: zoomUrlValidation( secret, plainToken ) };
			}
			if ( ! ( ZOOM_EVENTS as readonly string[] ).includes( envelope.event ) ) {
				deps.log.info( { event: envelope.event }, 'Zoom webhook event we do not use; ignored' );
				return { status: 200, body: { received: true, ignored: true } };
			}
			if ( envelope.event.startsWith( 'meeting.' ) && ! ZoomMeetingObjectSchema.safeParse( envelope.payload.object ).success ) {
				throw new AppError( 'invalid_request', { message: `The ${ envelope.event } event has no meeting object with an id.` } );
			}
			if ( envelope.event.startsWith( 'recording.' ) && ! ZoomRecordingSchema.safeParse( envelope.payload.object ).success ) {
				throw new AppError( 'invalid_request', { message: `The ${ envelope.event } event has no recording object (id, uuid and recording_files).` } );
			}
			const key = zoomEventKey( envelope, body );
			// Zoom retries within 85 minutes; the instance remembers what it took recently and answers
			// those at once. The real guarantee is in the database: the job's idempotency key (and
			// the tracker compares before it changes anything), whichever instance gets the retry.
			if ( recent.has( key ) ) {
				return { status: 200, body: { received: true, duplicate: true } };
			}
			recent.remember( key );
			const now = deps.clock();
			try {
				await Promise.all( [
					deps.webhookEvents.record( 'zoom', key, envelope.event, now ),
					deps.queue.enqueueJob( 'webhook.zoom', { event: envelope.event, event_ts: envelope.event_ts, object: envelope.payload.object ?? {}, download_token: envelope.download_token }, `webhook.zoom:${ key }`, now, now ),
				] );
			} catch ( error ) {
				// Not stored: answer an error so Zoom sends it again, and do not take that for a duplicate.
				recent.forget( key );
				throw error;
			}
			deps.nudge();
			return { status: 200, body: { received: true } };
		},
	};
}

export type ZoomIngest = ReturnType< typeof createZoomIngest >;

interface ZoomJobPayload {
	event: ZoomEventName;
	event_ts: number;
	object: Record< string, unknown >;
	download_token?: string;
}

/** `webhook.zoom`: applies one stored Zoom event to its consultation (or hands a recording to the pipeline). */
export function createZoomWebhookJob( deps: { tracker: SessionTracker; recordings: Pick< RecordingsPipeline, 'fromZoom' >; log: FastifyBaseLogger } ) {
	return async ( payload: ZoomJobPayload ): Promise< void > => {
		if ( payload.event === 'recording.completed' || payload.event === 'recording.transcript_completed' ) {
			await deps.recordings.fromZoom( payload.object, payload.download_token ?? null );
			return;
		}
		const object = ZoomMeetingObjectSchema.parse( payload.object );
		const at = ( value: string | undefined ) => {
			const parsed = value ? Date.parse( value ) : NaN;
			return new Date( Number.isNaN( parsed ) ? payload.event_ts : parsed );
		};
		let event: SessionEvent;
		if ( payload.event === 'meeting.started' ) {
			event = { kind: 'started', at: at( object.start_time ) };
		} else if ( payload.event === 'meeting.ended' ) {
			event = { kind: 'ended', at: at( object.end_time ) };
		} else {
			const p = object.participant ?? {};
			const email = p.email?.trim() || null;
			const participant: SessionParticipant = {
				key: p.participant_uuid || p.user_id || p.id || `${ p.user_name ?? 'unknown' }`,
				name: p.user_name?.trim() || email || 'Participant',
				email,
				userId: null,
				// Zoom gives the host's own user id as the participant `id`; the tracker tells the
				// customer (the booking's e-mail) from guests.
				role: p.id && object.host_id && p.id === object.host_id ? 'host' : undefined,
			};
			event = payload.event === 'meeting.participant_joined' ? { kind: 'joined', at: at( p.join_time ), participant } : { kind: 'left', at: at( p.leave_time ), participant };
		}
		const outcome = await deps.tracker.applyToMeeting( 'zoom', object.id, event );
		if ( outcome === 'not_found' ) {
			deps.log.info( { event: payload.event, meetingId: object.id }, 'Zoom event for a meeting that is not ours; ignored' );
		}
	};
}

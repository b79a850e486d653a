/**
 * Builds the Fastify app without listening (tests use `inject`; server.ts listens).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Knex } from 'knex';

import type { SettingsService } from './services/settings-service';
import type { Config } from './config';
import { createKnex } from './db/knex';
import { migrationStatus } from './db/migrate';
import { tableNames, type Tables } from './db/tables';
import { AppError } from './errors';
import { createConsultationMailJob } from './jobs/consultation-mail';
import { createWorkers, type JobHandler, type Workers } from './jobs/workers';
import { createTokenCache } from './platforms/_shared/oauth-tokens';
import { createMeetOAuth, type MeetOAuth } from './platforms/meet/oauth';
import type { PlatformEnv } from './platforms/video-platform';
import errorHandler from './plugins/app/error-handler';
import identity from './plugins/app/identity';
import { createAccessTokensRepository } from './repositories/access-tokens-repository';
import { createBookingsRepository } from './repositories/bookings-repository';
import { createConsultationsRepository } from './repositories/consultations-repository';
import { createPlatformHealthRepository } from './repositories/platform-health-repository';
import { createPlatformsRepository } from './repositories/platforms-repository';
import { createQueueRepository } from './repositories/queue-repository';
import { createSettingsRepository } from './repositories/settings-repository';
import { createParticipantsRepository } from './repositories/participants-repository';
import { createWebhookEventsRepository } from './repositories/webhook-events-repository';
import healthRoutes from './routes/health';
import webhookRoutes from './routes/webhooks';
import { createSessionTracker, type SessionTracker } from './services/session-tracker';
import { createJoinEvents } from './services/join-events';
import { createZoomIngest, createZoomWebhookJob, type ZoomIngest } from './webhooks/zoom-ingest';
import { join } from 'node:path';
import { createAuditLogRepository } from './repositories/audit-log-repository';
import { createRecordingsRepository } from './repositories/recordings-repository';
import { createMediaLinks, type MediaLinks } from './recordings/media-links';
import { createRecordingsPipeline } from './recordings/pipeline';
import { createRecordingsService, type RecordingsService } from './recordings/recordings-service';
import { createRecordingStore } from './recordings/store';
import mediaRoutes from './routes/media/index';
import { createTeamsSubscriptionsRepository } from './repositories/teams-subscriptions-repository';
import { createTeamsSubscriptionsService, type TeamsSubscriptionsService } from './services/teams-subscriptions';
import { createTeamsIngest, createTeamsWebhookJob, type TeamsIngest } from './webhooks/teams-ingest';
import internalRoutes from './routes/internal/index';
import v1Routes from './routes/v1/index';
import roomRoutes from './routes/rooms/index';
import { createRoomHub, type RoomHub } from './rooms/room-hub';
import { createJanusClient } from './rooms/janus';
import { createJanusRooms } from './rooms/janus-rooms';
import { createRoomTickets, type RoomTickets } from './rooms/room-tickets';
import { createRecordingConsentsRepository } from './repositories/recording-consents-repository';
import { createRoomRecordingEvents } from './recordings/room-recording-events';
import { createRoomUploads, type RoomUploads } from './recordings/room-uploads';
import type { Consultation } from './repositories/consultations-repository';
import { createBookingSync, type BookingSync } from './services/booking-sync';
import { createCalendarEntries, type CalendarEntries } from './services/calendar-entry';
import { createConsultationsService, type ConsultationsService } from './services/consultations-service';
import { createMailer, createWpRelay } from './services/mailer';
import { createPlatformHealth, type PlatformHealth } from './services/platform-health';
import { createSettingsService } from './services/settings-service';
import { createSessionNotesService, type SessionNotesService } from './services/session-notes';
import { createSessionNotesRepository } from './repositories/session-notes-repository';
import { createRoomFiles, type RoomFiles } from './rooms/room-files';
import { VERSION } from './version';
import type { SidecarStatus } from '@bkx-video/contracts';

declare module 'fastify' {
	interface FastifyInstance {
		config: Config;
		knex: Knex;
		tables: Tables;
		workers: Workers;
		/** The built-in room: signaling hub, tickets, and a fresh read of a room's consultation. */
		rooms: {
			hub: RoomHub;
			tickets: RoomTickets;
			/** Recordings made in the room: the host's uploads (recordings/room-uploads.ts). */
			recordings: RoomUploads;
			consultation: ( id: number ) => Promise< Consultation | null >;
		};
		services: {
			settings: SettingsService;
			consultations: ConsultationsService;
			sync: BookingSync;
			health: PlatformHealth;
			calendar: CalendarEntries;
			meetOAuth: MeetOAuth;
			sessions: SessionTracker;
			zoomWebhooks: ZoomIngest;
			recordings: RecordingsService;
			mediaLinks: MediaLinks;
			teamsWebhooks: TeamsIngest;
			teamsSubscriptions: TeamsSubscriptionsService;
			/** In the room (issue 6): the provider's session notes and the files shared in the room. */
			notes: SessionNotesService;
			roomFiles: RoomFiles;
			status: () => Promise< SidecarStatus >;
			migrationStatus: () => Promise< { current: string | null; pending: string[] } >;
		};
	}
}

export interface BuildOptions {
	config: Config;
	/** Injected clock (tests move time). */
	clock?: () => Date;
	/** Use this knex instead of creating one (it is then not destroyed on close). */
	knex?: Knex;
	logger?: FastifyServerOptions[ 'logger' ];
}

/** Log redaction: identity tokens, cookies, secrets and guest access tokens never reach logs. */
const SECRET_KEYS = [ 'password', 'secret', 'client_secret', 'app_secret', 'access_token', 'refresh_token', 'join_url', 'meeting_password', 'email', 'customerEmail', 'token' ];
export const REDACT_PATHS = [
	'req.headers["x-bkx-identity"]',
	'req.headers.authorization',
	'req.headers.cookie',
	'req.headers["x-zm-signature"]',
	// Top level and up to two levels down in any logged object.
	...SECRET_KEYS.flatMap( ( k ) => [ k, `*.${ k }`, `*.*.${ k }` ] ),
];

/** Strips credentials that travel in query strings (guest tokens, Jitsi JWTs) from logged URLs. */
export function scrubUrl( url: string ): string {
	return url.replace( /([?&](?:bkx_vc|jwt|token|code)=)[^&]*/g, '$1[redacted]' );
}

export function defaultLogger( level: string ): FastifyServerOptions[ 'logger' ] {
	return {
		level,
		redact: { paths: REDACT_PATHS, censor: '[redacted]' },
		serializers: {
			req: ( req: { method: string; url: string; id: string } ) => ( { method: req.method, url: scrubUrl( req.url ), id: req.id } ),
		},
	};
}

export async function buildApp( options: BuildOptions ): Promise< FastifyInstance > {
	const { config } = options;
	const clock = options.clock ?? ( () => new Date() );
	const app = Fastify( {
		logger: options.logger ?? defaultLogger( config.logLevel ),
		bodyLimit: 1024 * 1024,
		trustProxy: '127.0.0.1',
		genReqId: ( req ) => {
			const given = req.headers[ 'x-request-id' ];
			return typeof given === 'string' && /^[\w-]{8,64}$/.test( given ) ? given : crypto.randomUUID();
		},
	} );

	// Keep the raw bytes: the identity signs the body hash, webhooks sign the exact bytes.
	app.removeAllContentTypeParsers();
	app.addContentTypeParser( '*', { parseAs: 'buffer' }, ( request, body: Buffer, done ) => {
		request.rawBody = body;
		const type = String( request.headers[ 'content-type' ] ?? '' );
		if ( ! body.length ) {
			done( null, undefined );
			return;
		}
		if ( type.includes( 'json' ) ) {
			try {
				done( null, JSON.parse( body.toString( 'utf8' ) ) );
			} catch {
				done( new AppError( 'invalid_request', { message: 'The request body is not valid JSON.' } ), undefined );
			}
			return;
		}
		done( null, body );
	} );
	app.decorateRequest( 'rawBody', undefined );

	const ownsKnex = ! options.knex;
	const knex = options.knex ?? createKnex( config.db );
	const tables = tableNames( config.db.prefix );
	app.decorate( 'config', config );
	app.decorate( 'knex', knex );
	app.decorate( 'tables', tables );

	const settingsRepo = createSettingsRepository( knex, tables, config.encryptionKey );
	const consultations = createConsultationsRepository( knex, tables, { ttlSeconds: config.cacheTtlSeconds, clock } );
	const bookings = createBookingsRepository( knex, tables, { ttlSeconds: config.cacheTtlSeconds, clock } );
	const accessTokens = createAccessTokensRepository( knex, tables );
	const queue = createQueueRepository( knex, tables );
	const settings = createSettingsService( settingsRepo, config.cacheTtlSeconds, clock );
	const platformsRepo = createPlatformsRepository( knex, tables, config.encryptionKey );
	const platformEnv: PlatformEnv = {
		clock,
		tokens: createTokenCache( clock ),
		urls: config.platformUrls,
		timeoutMs: config.platformTimeoutMs,
		grants: platformsRepo.grants,
	};
	let health: PlatformHealth | null = null;
	const sync = createBookingSync( {
		knex,
		tables,
		bookings,
		consultations,
		accessTokens,
		queue,
		settings,
		secret: config.secret,
		clock,
		platformEnv,
		log: app.log,
		health: () => health as PlatformHealth,
	} );
	// The relay's signature is checked against WordPress's own clock: it must carry wall-clock time,
	// not the (test-controllable) business clock that schedules consultations and jobs.
	const mailer = createMailer( { relayUrl: config.mailRelayUrl, secret: config.secret, clock: () => new Date() } );
	// Signed posts to the plugin's internal routes (health notice, session events), on WordPress's
	// clock; those routes sit beside its mail relay.
	const wpRelay = createWpRelay( { secret: config.secret, clock: () => new Date() } );
	const pluginRoute = ( name: 'health' | 'event' ) => config.mailRelayUrl.replace( /internal\/mail/, `internal/${ name }` );
	health = createPlatformHealth( {
		repo: createPlatformHealthRepository( knex, tables ),
		queue,
		settings,
		consultations,
		bookings,
		platformEnv,
		mailer,
		relay: wpRelay,
		healthRelayUrl: pluginRoute( 'health' ),
		siteUrl: config.siteUrl,
		clock,
		log: app.log,
		syncBooking: ( bookingId ) => sync.syncBooking( bookingId ),
	} );
	const platformHealth = health;
	const mailDeps = { consultations, bookings, settings, mailer, secret: config.secret, siteUrl: config.siteUrl };
	const teamsSubscriptionsRepo = createTeamsSubscriptionsRepository( knex, tables );
	// Graph subscriptions to Teams meetings' call events (issue 5): a sweep job every 5 minutes.
	const teamsSubscriptions = createTeamsSubscriptionsService( {
		knex,
		tables,
		repo: teamsSubscriptionsRepo,
		consultations,
		queue,
		settings,
		platformEnv,
		notificationUrl: config.teamsNotificationUrl,
		clock,
		log: app.log,
		nudge: () => workers.nudgeJobs(),
	} );
	const sessions = createSessionTracker( { knex, tables, consultations, participants: createParticipantsRepository( knex, tables ), settings, queue, clock, log: app.log, teamsWatched: ( c ) => teamsSubscriptions.watched( c ) } );
	// Recordings (issue 5): files under BKX_VIDEO_DATA_DIR, encrypted; bytes through signed links.
	const recordingsRepo = createRecordingsRepository( knex, tables );
	const recordingStore = createRecordingStore( join( config.dataDir, 'recordings' ), config.encryptionKey );
	const recordingsPipeline = createRecordingsPipeline( {
		recordings: recordingsRepo,
		consultations,
		settings,
		queue,
		store: recordingStore,
		audit: createAuditLogRepository( knex, tables ),
		tools: config.media,
		workDir: join( config.dataDir, 'work' ),
		encryptionKey: config.encryptionKey,
		platformEnv,
		siteUrl: config.siteUrl,
		clock,
		log: app.log,
		nudge: () => workers.nudgeJobs(),
	} );
	const mediaLinks = createMediaLinks( config.secret, config.publicUrl ?? `http://${ config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host }:${ config.port }` );
	const handlers: Record< string, JobHandler > = {
		'webhook.zoom': createZoomWebhookJob( { tracker: sessions, recordings: recordingsPipeline, log: app.log } ) as JobHandler,
		'recording.download': ( ( payload: never, _key: string, context ) => recordingsPipeline.download( payload, context ) ) as JobHandler,
		'recording.process': ( ( payload: never, _key: string, context ) => recordingsPipeline.process( payload, context ) ) as JobHandler,
		'recording.transcript': ( ( payload: never, _key: string, context ) => recordingsPipeline.transcript( payload, context ) ) as JobHandler,
		'room_recording.finalize': ( ( payload: { recordingId: number } ) => roomUploads.finalize( payload ) ) as JobHandler,
		'recording.retention': ( async () => {
			await recordingsPipeline.sweepRetention();
		} ) as JobHandler,
		'webhook.teams': createTeamsWebhookJob( { tracker: sessions, subscriptions: teamsSubscriptions, log: app.log } ) as JobHandler,
		'teams.subscriptions': ( async () => {
			await teamsSubscriptions.sweep();
		} ) as JobHandler,
		'session.no_show_check': ( async ( payload: { consultationId: number; start: string } ) => {
			await sessions.checkNoShow( payload.consultationId, payload.start );
		} ) as JobHandler,
		// Planned by our own join events (Jitsi, Meet, built-in room): the end of the join window.
		'session.close': ( async ( payload: { consultationId: number } ) => {
			await sessions.closeUntracked( payload.consultationId );
		} ) as JobHandler,
		// Tells WordPress (do_action for add-ons); the key makes a retried push fire once.
		'wp.session_event': ( async ( payload: Record< string, unknown >, idempotencyKey: string ) => {
			const res = await wpRelay.post( pluginRoute( 'event' ), JSON.stringify( { ...payload, idempotency_key: idempotencyKey } ) );
			if ( ! res.ok ) {
				throw new Error( `WordPress did not take the session event (${ res.status }): ${ res.text.slice( 0, 200 ) }` );
			}
		} ) as JobHandler,
		'mail.invitation': createConsultationMailJob( mailDeps, 'invitation' ) as JobHandler,
		'mail.update': createConsultationMailJob( mailDeps, 'update' ) as JobHandler,
		'mail.cancellation': createConsultationMailJob( mailDeps, 'cancellation' ) as JobHandler,
		'platform.probe': ( ( payload: { platform: never } ) => platformHealth.probe( payload ) ) as JobHandler,
		'platform.recovered': ( ( payload: { platform: never } ) => platformHealth.recovered( payload ) ) as JobHandler,
		'platform.health_mail': ( ( payload: { platform: never; episode: string } ) => platformHealth.mailAdmin( payload ) ) as JobHandler,
		'platform.health_push': ( () => platformHealth.pushToWordPress() ) as JobHandler,
	};
	const workers = createWorkers( {
		queue,
		sync,
		bookings,
		consultations,
		handlers,
		log: app.log,
		clock,
		outboxPollSeconds: config.outboxPollSeconds,
		reconcileIntervalSeconds: config.reconcileIntervalSeconds,
		concurrency: config.syncConcurrency,
		jobLeaseSeconds: config.jobLeaseSeconds,
		periodicJobs: [
			{ kind: 'recording.retention', everySeconds: 3600 },
			// Graph subscriptions to Teams meetings' call events, while Teams is configured.
			{ kind: 'teams.subscriptions', everySeconds: 300, when: () => teamsSubscriptions.isConfigured() },
		],
	} );
	app.decorate( 'workers', workers );
	const joinEvents = createJoinEvents( { tracker: sessions, queue, clock } );
	const consultationsService = createConsultationsService( {
		consultations,
		accessTokens,
		bookings,
		settings,
		clock,
		platformEnv,
		cacheTtlSeconds: config.cacheTtlSeconds,
		onStaleBooking: ( bookingId ) => {
			sync.syncBooking( bookingId ).catch( ( error: unknown ) => app.log.warn( { err: error, bookingId }, 'sync after a stale join failed' ) );
		},
		onJoined: ( ...args ) => joinEvents.record( ...args ),
	} );
	// The built-in room (issue 6): presence in the room is the session's truth for `webrtc`.
	const roomEvents = ( roomId: string, event: Parameters< SessionTracker[ 'applyToMeeting' ] >[ 2 ] ) => {
		sessions.applyToMeeting( 'webrtc', roomId, event ).catch( ( error: unknown ) => app.log.error( { err: error, roomId }, 'room event not recorded' ) );
	};
	const roomParticipant = ( peer: { key: string; name: string; email: string | null; userId: number; role: 'host' | 'participant' } ) => ( {
		key: peer.key,
		name: peer.name,
		email: peer.email,
		userId: peer.userId || null,
		role: peer.role === 'host' ? ( 'host' as const ) : ( 'participant' as const ),
	} );
	// With Janus configured, room media goes through its VideoRoom SFU (rooms/janus-rooms.ts).
	const janusRooms = config.janus
		? createJanusRooms( {
			client: createJanusClient( { url: config.janus.url, apiSecret: config.janus.apiSecret, adminKey: config.janus.adminKey, timeoutMs: config.platformTimeoutMs } ),
			publicUrl: config.janus.publicUrl,
			key: config.secret,
			tokenSecret: config.janus.tokenSecret,
			clock,
			log: app.log,
		} )
		: null;
	// Recording in the room (issue 6): consent in the hub, the host's upload, then the pipeline.
	const recordingConsents = createRecordingConsentsRepository( knex, tables );
	const roomUploads = createRoomUploads( {
		recordings: recordingsRepo,
		consultations,
		queue,
		store: recordingStore,
		takeOf: ( roomId ) => app.rooms.hub.recordingOf( roomId ),
		consentsOf: async ( consultationId, take ) => ( await recordingConsents.listForTake( consultationId, take ) ).map( ( c ) => c.participantKey ),
		workDir: join( config.dataDir, 'work' ),
		secret: config.secret,
		maxBytes: config.roomRecordingMaxBytes,
		clock,
		log: app.log,
		nudge: () => workers.nudgeJobs(),
	} );
	app.decorate( 'rooms', {
		hub: createRoomHub( {
			clock,
			log: app.log,
			...( janusRooms ? { media: janusRooms } : {} ),
			events: {
				joined: ( room, peer, at ) => roomEvents( room.roomId, { kind: 'joined', at, participant: roomParticipant( peer ) } ),
				left: ( room, peer, at ) => roomEvents( room.roomId, { kind: 'left', at, participant: roomParticipant( peer ) } ),
				ended: ( room, at ) => roomEvents( room.roomId, { kind: 'ended', at } ),
				quality: ( room, peer, level ) => app.log.info( { room: room.roomId, peer: peer.id, level }, 'connection-quality-changed' ),
				recording: createRoomRecordingEvents( { consents: recordingConsents, audit: createAuditLogRepository( knex, tables ), uploads: roomUploads, log: app.log } ),
			},
		} ),
		tickets: createRoomTickets( { secret: config.secret, consultations, service: consultationsService, signalingBase: config.platformUrls.roomSignaling, clock, sfu: janusRooms } ),
		consultation: ( id: number ) => consultations.findById( id, { fresh: true } ),
		recordings: roomUploads,
	} );
	app.decorate( 'services', {
		settings,
		sync,
		health: platformHealth,
		sessions,
		teamsSubscriptions,
		teamsWebhooks: createTeamsIngest( {
			subscriptions: teamsSubscriptionsRepo,
			webhookEvents: createWebhookEventsRepository( knex, tables ),
			queue,
			clock,
			log: app.log,
			nudge: () => workers.nudgeJobs(),
		} ),
		recordings: createRecordingsService( {
			store: recordingStore,
			recordings: recordingsRepo,
			consultations,
			accessTokens,
			settings,
			pipeline: recordingsPipeline,
			links: mediaLinks,
			clock,
		} ),
		mediaLinks,
		zoomWebhooks: createZoomIngest( {
			settings,
			webhookEvents: createWebhookEventsRepository( knex, tables ),
			queue,
			clock,
			wallClock: () => new Date(),
			log: app.log,
			nudge: () => workers.nudgeJobs(),
		} ),
		meetOAuth: createMeetOAuth( { repo: platformsRepo, settings, platformEnv, siteUrl: config.siteUrl, clock, log: app.log } ),
		consultations: consultationsService,
		notes: createSessionNotesService( { notes: createSessionNotesRepository( knex, tables ), consultations: consultationsService, clock } ),
		roomFiles: createRoomFiles( {
			knex,
			tables,
			store: createRecordingStore( join( config.dataDir, 'room-files' ), config.encryptionKey ),
			hub: app.rooms.hub,
			tickets: app.rooms.tickets,
			settings,
			secret: config.secret,
			clock,
		} ),
		calendar: createCalendarEntries( { consultationsService, consultations, bookings, settings, siteUrl: config.siteUrl, clock } ),
		migrationStatus: () => migrationStatus( knex, tables ),
		status: async () => ( {
			version: VERSION,
			migrations: await migrationStatus( knex, tables ),
			outbox_backlog: await queue.outboxBacklog(),
			platform_health: await platformHealth.view(),
			failovers: await platformHealth.failovers(),
			time: clock().toISOString(),
		} ),
	} );

	await app.register( errorHandler );
	await app.register( identity, { secret: config.secret, clock } );
	await app.register( healthRoutes );
	await app.register( v1Routes, { prefix: '/v1' } );
	await app.register( internalRoutes, { prefix: '/internal' } );
	await app.register( webhookRoutes, { prefix: '/webhooks' } );
	await app.register( mediaRoutes, { prefix: '/media' } );
	await app.register( roomRoutes, { prefix: '/rooms' } );

	app.addHook( 'onClose', async () => {
		app.rooms.hub.closeAll();
		await workers.stop();
		if ( ownsKnex ) {
			await knex.destroy();
		}
	} );
	return app;
}

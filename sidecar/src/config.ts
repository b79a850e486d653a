/**
 * Sidecar configuration, read once from the environment and validated by zod.
 *
 * A missing or bad variable stops start-up with a message that names it (see
 * docs/configuration.md for every variable and its default).
 */
import { resolve } from 'node:path';

import { z } from 'zod';

const bool = z
	.enum( [ 'true', 'false', '1', '0', 'yes', 'no' ] )
	.transform( ( v ) => v === 'true' || v === '1' || v === 'yes' );

const encryptionKey = z
	.string()
	.transform( ( v, ctx ) => {
		const buf = /^[0-9a-fA-F]{64}$/.test( v ) ? Buffer.from( v, 'hex' ) : Buffer.from( v, 'base64' );
		if ( buf.length !== 32 ) {
			ctx.addIssue( {
				code: 'custom',
				message: 'must be 32 bytes, as 64 hex characters or base64 (generate one with: openssl rand -hex 32)',
			} );
			return z.NEVER;
		}
		return buf;
	} );

/** The sidecar's public URL as a WebSocket base (http → ws, https → wss) for the built-in room. */
export function signalingBase( publicUrl: string ): string {
	return publicUrl.replace( /\/+$/, '' ).replace( /^http/, 'ws' );
}

export const EnvSchema = z.object( {
	BKX_VIDEO_HOST: z.string().default( '127.0.0.1' ),
	BKX_VIDEO_PORT: z.coerce.number().int().min( 0 ).max( 65535 ).default( 8787 ),
	BKX_VIDEO_SIDECAR_SECRET: z
		.string( { error: 'is required (the secret shared with the WordPress plugin)' } )
		.min( 32, 'must be at least 32 characters (generate one with: openssl rand -hex 32)' ),
	BKX_VIDEO_ENCRYPTION_KEY: encryptionKey,
	BKX_VIDEO_SITE_URL: z.url( { protocol: /^https?$/, error: 'must be the WordPress site URL, e.g. https://example.com' } )
		.transform( ( v ) => v.replace( /\/+$/, '' ) ),
	BKX_VIDEO_SIDECAR_PUBLIC_URL: z.url().optional(),
	BKX_VIDEO_DB_HOST: z.string().default( '127.0.0.1' ),
	BKX_VIDEO_DB_PORT: z.coerce.number().int().min( 1 ).max( 65535 ).default( 3306 ),
	BKX_VIDEO_DB_USER: z.string().default( 'root' ),
	BKX_VIDEO_DB_PASSWORD: z.string().default( '' ),
	BKX_VIDEO_DB_NAME: z.string( { error: 'is required (the WordPress database name)' } ).min( 1 ),
	BKX_VIDEO_DB_PREFIX: z
		.string()
		.regex( /^[A-Za-z0-9_]+$/, 'may contain only letters, digits and underscores' )
		.default( 'wp_' ),
	BKX_VIDEO_DB_POOL_MAX: z.coerce.number().int().min( 2, 'must be at least 2 (locks hold one connection while work uses another)' ).max( 100 ).default( 10 ),
	BKX_VIDEO_SYNC_CONCURRENCY: z.coerce.number().int().min( 1 ).max( 500 ).default( 200 ),
	BKX_VIDEO_LOG_LEVEL: z.enum( [ 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent' ] ).default( 'info' ),
	BKX_VIDEO_OUTBOX_POLL_SECONDS: z.coerce.number().min( 0.1 ).max( 3600 ).default( 5 ),
	BKX_VIDEO_RECONCILE_INTERVAL_SECONDS: z.coerce.number().min( 1 ).max( 86400 ).default( 300 ),
	BKX_VIDEO_WORKERS: bool.default( true ),
	BKX_VIDEO_MIGRATE_ON_START: bool.default( true ),
	BKX_VIDEO_CACHE_TTL_SECONDS: z.coerce.number().min( 0 ).max( 300 ).default( 5 ),
	BKX_VIDEO_MAIL_RELAY_URL: z.url().optional(),
	BKX_VIDEO_ZOOM_API_URL: z.url().default( 'https://api.zoom.us/v2' ),
	BKX_VIDEO_ZOOM_OAUTH_URL: z.url().default( 'https://zoom.us/oauth/token' ),
	BKX_VIDEO_GRAPH_URL: z.url().default( 'https://graph.microsoft.com/v1.0' ),
	BKX_VIDEO_TEAMS_NOTIFICATION_URL: z.url( { protocol: /^https?$/, error: 'must be the public URL of the plugin\'s Teams webhook route' } ).optional(),
	BKX_VIDEO_MS_LOGIN_URL: z.url().default( 'https://login.microsoftonline.com' ),
	BKX_VIDEO_GOOGLE_OAUTH_URL: z.url().default( 'https://accounts.google.com/o/oauth2/v2/auth' ),
	BKX_VIDEO_GOOGLE_TOKEN_URL: z.url().default( 'https://oauth2.googleapis.com/token' ),
	BKX_VIDEO_GOOGLE_REVOKE_URL: z.url().default( 'https://oauth2.googleapis.com/revoke' ),
	BKX_VIDEO_GOOGLE_CALENDAR_URL: z.url().default( 'https://www.googleapis.com/calendar/v3' ),
	BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: z.coerce.number().min( 1 ).max( 120 ).default( 15 ),
	BKX_VIDEO_JOB_LEASE_SECONDS: z.coerce.number().int().min( 2 ).max( 3600 ).default( 120 ),
	BKX_VIDEO_DATA_DIR: z.string().min( 1 ).default( 'data' ),
	BKX_VIDEO_FFMPEG_PATH: z.string().min( 1 ).default( 'ffmpeg' ),
	BKX_VIDEO_FFPROBE_PATH: z.string().min( 1 ).default( 'ffprobe' ),
	BKX_VIDEO_FFMPEG_TIMEOUT_SECONDS: z.coerce.number().int().min( 10 ).max( 86400 ).default( 3600 ),
	BKX_VIDEO_ROOM_RECORDING_MAX_MB: z.coerce.number().int().min( 1 ).max( 20480 ).default( 2048 ),
	BKX_VIDEO_JANUS_URL: z.url( { protocol: /^https?$/, error: 'must be the URL of Janus\'s HTTP API, e.g. http://127.0.0.1:8088/janus' } ).optional(),
	BKX_VIDEO_JANUS_PUBLIC_URL: z.url( { protocol: /^https?$/, error: 'must be the URL browsers use for Janus\'s HTTP API, e.g. https://janus.example.com/janus' } ).optional(),
	BKX_VIDEO_JANUS_API_SECRET: z.string().min( 1 ).optional(),
	BKX_VIDEO_JANUS_TOKEN_SECRET: z.string().min( 1 ).optional(),
	BKX_VIDEO_JANUS_ADMIN_KEY: z.string().min( 1 ).optional(),
} );

export type Env = z.infer< typeof EnvSchema >;

export interface Config {
	host: string;
	port: number;
	secret: string;
	encryptionKey: Buffer;
	siteUrl: string;
	publicUrl: string | undefined;
	db: { host: string; port: number; user: string; password: string; database: string; prefix: string; poolMax: number };
	logLevel: Env[ 'BKX_VIDEO_LOG_LEVEL' ];
	/** Booking syncs at once per instance. */
	syncConcurrency: number;
	outboxPollSeconds: number;
	reconcileIntervalSeconds: number;
	workers: boolean;
	migrateOnStart: boolean;
	cacheTtlSeconds: number;
	mailRelayUrl: string;
	/**
	 * Where Microsoft Graph sends Teams change and lifecycle notifications: the plugin's public
	 * webhook route, which forwards to `/webhooks/teams`.
	 */
	teamsNotificationUrl: string;
	platformUrls: import( './platforms/video-platform' ).PlatformEnv[ 'urls' ];
	platformTimeoutMs: number;
	/** Seconds a claimed job stays with an instance between heartbeats. */
	jobLeaseSeconds: number;
	/**
	 * Where the sidecar keeps files (absolute): `recordings/` (encrypted, served through signed
	 * links) and `work/` (downloads and ffmpeg output in progress). Never inside the web root.
	 */
	dataDir: string;
	media: { ffmpeg: string; ffprobe: string; timeoutMs: number };
	/** Largest recording the built-in room may upload (BKX_VIDEO_ROOM_RECORDING_MAX_MB). */
	roomRecordingMaxBytes: number;
	/**
	 * The Janus VideoRoom SFU for the built-in room, or null (peer to peer). `url` is for the
	 * sidecar, `publicUrl` for browsers; `tokenSecret` is Janus's `token_auth_secret` (signed tokens
	 * for browsers), `adminKey` the VideoRoom's `admin_key`.
	 */
	janus: { url: string; publicUrl: string; apiSecret: string | null; tokenSecret: string | null; adminKey: string | null } | null;
}

/** `BKX_VIDEO_*` variables the sidecar does not know: most likely typos, worth a warning. */
export function unknownVariables( env: NodeJS.ProcessEnv = process.env ): string[] {
	const known = new Set( Object.keys( EnvSchema.shape ) );
	// Read by the build or by tests, not by the sidecar's configuration.
	known.add( 'BKX_VIDEO_BUILD_VERSION' );
	return Object.keys( env ).filter( ( k ) => k.startsWith( 'BKX_VIDEO_' ) && ! known.has( k ) );
}

/** Thrown when the environment is not usable; the message names every bad variable. */
export class ConfigError extends Error {
	override name = 'ConfigError';
}

/**
 * Parses the environment into a {@link Config}.
 *
 * @throws ConfigError naming each missing or invalid variable.
 */
export function loadConfig( env: NodeJS.ProcessEnv = process.env ): Config {
	const parsed = EnvSchema.safeParse( env );
	if ( ! parsed.success ) {
		const lines = parsed.error.issues.map( ( issue ) => {
			const name = String( issue.path[ 0 ] ?? '?' );
			const message = env[ name ] === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message;
			return `  ${ name } ${ message }`;
		} );
		throw new ConfigError( `Invalid sidecar configuration:\n${ lines.join( '\n' ) }` );
	}
	const e = parsed.data;
	return {
		host: e.BKX_VIDEO_HOST,
		port: e.BKX_VIDEO_PORT,
		secret: e.BKX_VIDEO_SIDECAR_SECRET,
		encryptionKey: e.BKX_VIDEO_ENCRYPTION_KEY,
		siteUrl: e.BKX_VIDEO_SITE_URL,
		publicUrl: e.BKX_VIDEO_SIDECAR_PUBLIC_URL,
		db: {
			host: e.BKX_VIDEO_DB_HOST,
			port: e.BKX_VIDEO_DB_PORT,
			user: e.BKX_VIDEO_DB_USER,
			password: e.BKX_VIDEO_DB_PASSWORD,
			database: e.BKX_VIDEO_DB_NAME,
			prefix: e.BKX_VIDEO_DB_PREFIX,
			poolMax: e.BKX_VIDEO_DB_POOL_MAX,
		},
		logLevel: e.BKX_VIDEO_LOG_LEVEL,
		syncConcurrency: e.BKX_VIDEO_SYNC_CONCURRENCY,
		outboxPollSeconds: e.BKX_VIDEO_OUTBOX_POLL_SECONDS,
		reconcileIntervalSeconds: e.BKX_VIDEO_RECONCILE_INTERVAL_SECONDS,
		workers: e.BKX_VIDEO_WORKERS,
		migrateOnStart: e.BKX_VIDEO_MIGRATE_ON_START,
		cacheTtlSeconds: e.BKX_VIDEO_CACHE_TTL_SECONDS,
		mailRelayUrl: e.BKX_VIDEO_MAIL_RELAY_URL ?? `${ e.BKX_VIDEO_SITE_URL }/?rest_route=/bookingx/v1/video/internal/mail`,
		teamsNotificationUrl: e.BKX_VIDEO_TEAMS_NOTIFICATION_URL ?? `${ e.BKX_VIDEO_SITE_URL }/wp-json/bookingx/v1/video/teams/webhook`,
		platformUrls: {
			zoomApi: e.BKX_VIDEO_ZOOM_API_URL,
			zoomOauth: e.BKX_VIDEO_ZOOM_OAUTH_URL,
			graphApi: e.BKX_VIDEO_GRAPH_URL,
			msLogin: e.BKX_VIDEO_MS_LOGIN_URL,
			googleOauth: e.BKX_VIDEO_GOOGLE_OAUTH_URL,
			googleToken: e.BKX_VIDEO_GOOGLE_TOKEN_URL,
			googleRevoke: e.BKX_VIDEO_GOOGLE_REVOKE_URL,
			googleCalendar: e.BKX_VIDEO_GOOGLE_CALENDAR_URL,
			site: e.BKX_VIDEO_SITE_URL,
			roomSignaling: signalingBase( e.BKX_VIDEO_SIDECAR_PUBLIC_URL ?? `http://${ e.BKX_VIDEO_HOST === '0.0.0.0' || e.BKX_VIDEO_HOST === '::' ? '127.0.0.1' : e.BKX_VIDEO_HOST }:${ e.BKX_VIDEO_PORT }` ),
		},
		platformTimeoutMs: e.BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS * 1000,
		jobLeaseSeconds: e.BKX_VIDEO_JOB_LEASE_SECONDS,
		dataDir: resolve( e.BKX_VIDEO_DATA_DIR ),
		media: { ffmpeg: e.BKX_VIDEO_FFMPEG_PATH, ffprobe: e.BKX_VIDEO_FFPROBE_PATH, timeoutMs: e.BKX_VIDEO_FFMPEG_TIMEOUT_SECONDS * 1000 },
		roomRecordingMaxBytes: e.BKX_VIDEO_ROOM_RECORDING_MAX_MB * 1024 * 1024,
		janus: e.BKX_VIDEO_JANUS_URL
			? {
				url: e.BKX_VIDEO_JANUS_URL.replace( /\/+$/, '' ),
				publicUrl: ( e.BKX_VIDEO_JANUS_PUBLIC_URL ?? e.BKX_VIDEO_JANUS_URL ).replace( /\/+$/, '' ),
				apiSecret: e.BKX_VIDEO_JANUS_API_SECRET ?? null,
				tokenSecret: e.BKX_VIDEO_JANUS_TOKEN_SECRET ?? null,
				adminKey: e.BKX_VIDEO_JANUS_ADMIN_KEY ?? null,
			}
			: null,
	};
}

/**
 * The whole product on loopback for end-to-end tests and the demo: a throwaway WordPress with the
 * BookingX stand-in and our plugin, the sidecar (the bundled program when built, else the sources),
 * and the Jitsi fake; on request also the Zoom and Graph fakes (the sidecar is pointed at them) and
 * the SMTP fake (WordPress's wp_mail() then really sends to it). Every process is stopped and the
 * database dropped by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	startGraphFake,
	startJitsiFake,
	startSmtpFake,
	startZoomFake,
	type GraphFake,
	type GraphFakeOptions,
	type JitsiFake,
	type SmtpFake,
	type ZoomFake,
	type ZoomFakeOptions,
} from '@bkx-video/platform-fakes';
import { REPO_ROOT, startSite, type Site } from '@bkx-video/wp-harness';

export const JITSI_APP_ID = 'bkx-e2e';
export const JITSI_APP_SECRET = 'jitsi-e2e-secret-0123456789';

/** Credentials the Zoom fake accepts when `startStack( { zoom: true } )`; the host is the harness's provider. */
export const ZOOM_E2E = { accountId: 'e2e-zoom-account', clientId: 'e2e-zoom-client', clientSecret: 'e2e-zoom-secret-0123456789', user: 'provider@example.test' };

/** Credentials the Graph fake accepts when `startStack( { graph: true } )`; the organizer is the harness's provider. */
/** The settings that make Zoom (the fake, ZOOM_E2E) the default platform. */
export const ZOOM_E2E_SETTINGS = {
	zoom_enabled: true,
	default_platform: 'zoom',
	zoom_account_id: ZOOM_E2E.accountId,
	zoom_client_id: ZOOM_E2E.clientId,
	zoom_client_secret: ZOOM_E2E.clientSecret,
	zoom_user_id: ZOOM_E2E.user,
} as const;

export const GRAPH_E2E = {
	tenantId: 'e2e-tenant',
	clientId: 'e2e-graph-client',
	clientSecret: 'e2e-graph-secret-0123456789',
	provider: { id: '5b0c6a2e-1111-4111-a111-00000000e2e0', upn: 'provider@example.test', displayName: 'Dr. Provider' },
};

export async function freePort(): Promise< number > {
	return new Promise( ( resolve, reject ) => {
		const srv = createServer();
		srv.once( 'error', reject );
		srv.listen( 0, '127.0.0.1', () => {
			const address = srv.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			srv.close( () => resolve( port ) );
		} );
	} );
}

export interface Sidecar {
	url: string;
	port: number;
	start(): Promise< void >;
	stop(): Promise< void >;
	logs(): string;
	running(): boolean;
}

export function sidecarProcess( env: Record< string, string > ): Sidecar {
	let child: ChildProcess | null = null;
	let output = '';
	const port = Number( env.BKX_VIDEO_PORT );
	const url = `http://127.0.0.1:${ port }`;
	const bundle = join( REPO_ROOT, 'sidecar/dist/bkx-video-sidecar.mjs' );
	const args = existsSync( bundle ) && ! process.env.BKX_E2E_SIDECAR_FROM_SOURCE ? [ bundle ] : [ '--import', 'tsx', join( REPO_ROOT, 'sidecar/src/server.ts' ) ];

	return {
		url,
		port,
		logs: () => output,
		running: () => child !== null,
		async start() {
			if ( child ) {
				return;
			}
			const proc = spawn( process.execPath, args, { env: { ...process.env, ...env }, stdio: [ 'ignore', 'pipe', 'pipe' ], cwd: join( REPO_ROOT, 'sidecar' ) } );
			child = proc;
			// Never leave a sidecar behind when the test process or the demo exits abruptly.
			const killOnExit = () => proc.kill( 'SIGKILL' );
			process.once( 'exit', killOnExit );
			proc.once( 'exit', () => process.removeListener( 'exit', killOnExit ) );
			proc.stdout?.on( 'data', ( d: Buffer ) => ( output += d.toString() ) );
			proc.stderr?.on( 'data', ( d: Buffer ) => ( output += d.toString() ) );
			proc.once( 'exit', () => {
				if ( child === proc ) {
					child = null;
				}
			} );
			const deadline = Date.now() + 30_000;
			while ( Date.now() < deadline ) {
				if ( ! child ) {
					throw new Error( `Sidecar exited during start-up:\n${ output }` );
				}
				try {
					const res = await fetch( `${ url }/readyz` );
					if ( res.ok ) {
						return;
					}
				} catch {
					// not listening yet
				}
				await new Promise( ( r ) => setTimeout( r, 100 ) );
			}
			throw new Error( `Sidecar not ready after 30 s:\n${ output }` );
		},
		async stop() {
			const proc = child;
			if ( ! proc ) {
				return;
			}
			child = null;
			const exited = new Promise( ( r ) => proc.once( 'exit', r ) );
			proc.kill( 'SIGTERM' );
			const timer = setTimeout( () => proc.kill( 'SIGKILL' ), 5000 );
			await exited;
			clearTimeout( timer );
		},
	};
}

export interface Stack {
	site: Site;
	sidecar: Sidecar;
	jitsi: JitsiFake;
	/** Set with `zoom` in the options. */
	zoom?: ZoomFake;
	/** Set with `graph` in the options. */
	graph?: GraphFake;
	/** Set with `smtp: true`: every wp_mail() of the site arrives here (and `site.mails()` stays empty). */
	smtp?: SmtpFake;
	secret: string;
	/** Saves settings through WordPress as the admin (the way the admin screen does). */
	saveSettings( values: Record< string, unknown > ): Promise< void >;
	/** Waits until the sidecar has applied every outbox row and run due jobs. */
	settle( timeoutMs?: number ): Promise< void >;
	stop(): Promise< void >;
}

export interface StackOptions {
	timezone?: string;
	/** Start the sidecar now (default) or leave it stopped. */
	startSidecar?: boolean;
	/** Configure Jitsi as the default platform (default true; needs the sidecar running). */
	configureJitsi?: boolean;
	sidecarEnv?: Record< string, string >;
	/** Extra mu-plugins for this site only (e.g. the bench's baseline route). */
	muPlugins?: string[];
	/** Fixed ports (the demo); default free ones. */
	sitePort?: number;
	sidecarPort?: number;
	/** Start the Zoom fake (true = ZOOM_E2E credentials) and point the sidecar at it. Settings are left to the test. */
	zoom?: boolean | ZoomFakeOptions;
	/** Start the Graph fake (true = GRAPH_E2E credentials) and point the sidecar at it. Settings are left to the test. */
	graph?: boolean | GraphFakeOptions;
	/** Start the SMTP fake and make WordPress send its mail there over SMTP (instead of capturing it). */
	smtp?: boolean;
}

export async function startStack( options: StackOptions = {} ): Promise< Stack > {
	const secret = randomBytes( 32 ).toString( 'hex' );
	const port = options.sidecarPort ?? ( await freePort() );
	const jitsi = await startJitsiFake( { appId: JITSI_APP_ID, appSecret: JITSI_APP_SECRET } );
	let site: Site | null = null;
	let zoom: ZoomFake | undefined;
	let graph: GraphFake | undefined;
	let smtp: SmtpFake | undefined;
	const closeFakes = async () => {
		await Promise.all( [ jitsi.close(), zoom?.close(), graph?.close(), smtp?.close() ] );
	};
	try {
		if ( options.zoom ) {
			zoom = await startZoomFake( options.zoom === true ? { accountId: ZOOM_E2E.accountId, clientId: ZOOM_E2E.clientId, clientSecret: ZOOM_E2E.clientSecret, users: [ ZOOM_E2E.user ] } : options.zoom );
		}
		if ( options.graph ) {
			graph = await startGraphFake(
				options.graph === true ? { tenantId: GRAPH_E2E.tenantId, clientId: GRAPH_E2E.clientId, clientSecret: GRAPH_E2E.clientSecret, users: [ GRAPH_E2E.provider ] } : options.graph
			);
		}
		if ( options.smtp ) {
			smtp = await startSmtpFake();
		}
		site = await startSite( {
			withPlugin: true,
			...( options.sitePort ? { port: options.sitePort } : {} ),
			...( options.muPlugins ? { muPlugins: options.muPlugins } : {} ),
			timezone: options.timezone ?? 'Europe/Berlin',
			...( smtp ? { mail: { smtp: { port: smtp.port } } } : {} ),
			constants: { BKX_VIDEO_SIDECAR_URL: `http://127.0.0.1:${ port }`, BKX_VIDEO_SIDECAR_SECRET: secret },
		} );
		const sidecar = sidecarProcess( {
			BKX_VIDEO_PORT: String( port ),
			BKX_VIDEO_SIDECAR_SECRET: secret,
			BKX_VIDEO_ENCRYPTION_KEY: randomBytes( 32 ).toString( 'hex' ),
			BKX_VIDEO_SITE_URL: site.url,
			BKX_VIDEO_DB_NAME: site.dbName,
			// Recordings and work files of this stack only, never inside the repository.
			BKX_VIDEO_DATA_DIR: join( tmpdir(), `bkx-video-e2e-${ site.dbName }` ),
			BKX_VIDEO_LOG_LEVEL: 'warn',
			BKX_VIDEO_OUTBOX_POLL_SECONDS: '0.5',
			BKX_VIDEO_RECONCILE_INTERVAL_SECONDS: '3600',
			BKX_VIDEO_CACHE_TTL_SECONDS: '0',
			...( zoom ? { BKX_VIDEO_ZOOM_API_URL: zoom.url, BKX_VIDEO_ZOOM_OAUTH_URL: zoom.oauthUrl } : {} ),
			...( graph ? { BKX_VIDEO_GRAPH_URL: graph.url, BKX_VIDEO_MS_LOGIN_URL: graph.loginBase } : {} ),
			...options.sidecarEnv,
		} );
		const s = site;
		const stack: Stack = {
			site: s,
			sidecar,
			jitsi,
			...( zoom ? { zoom } : {} ),
			...( graph ? { graph } : {} ),
			...( smtp ? { smtp } : {} ),
			secret,
			async saveSettings( values ) {
				const res = await s.rest( '/bookingx/v1/video/settings', { method: 'PUT', body: values, as: 'admin' } );
				if ( res.status !== 200 ) {
					throw new Error( `Saving settings failed: ${ res.status } ${ res.text }` );
				}
			},
			async settle( timeoutMs = 20_000 ) {
				const deadline = Date.now() + timeoutMs;
				while ( Date.now() < deadline ) {
					const rows = JSON.parse(
						await s.php(
							`global $wpdb; echo wp_json_encode( array( (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}bkx_video_events WHERE processed_at IS NULL" ), (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}bkx_video_jobs WHERE status IN ('queued','running') AND run_at <= UTC_TIMESTAMP()" ), (string) $wpdb->get_var( "SELECT CONCAT(kind, ': ', last_error) FROM {$wpdb->prefix}bkx_video_jobs WHERE last_error IS NOT NULL LIMIT 1" ) ) );`
						)
					) as [ number, number, string ];
					// A failing job is retried later, so it would look settled: report it instead.
					if ( rows[ 2 ] ) {
						throw new Error( `A background job failed: ${ rows[ 2 ] }` );
					}
					if ( rows[ 0 ] === 0 && rows[ 1 ] === 0 ) {
						return;
					}
					await new Promise( ( r ) => setTimeout( r, 250 ) );
				}
				throw new Error( `Outbox/jobs not settled within ${ timeoutMs } ms. Sidecar log:\n${ sidecar.logs().slice( -3000 ) }` );
			},
			async stop() {
				await sidecar.stop();
				await s.stop();
				await closeFakes();
				await rm( join( tmpdir(), `bkx-video-e2e-${ s.dbName }` ), { recursive: true, force: true } );
			},
		};
		if ( options.startSidecar !== false ) {
			await sidecar.start();
			if ( options.configureJitsi !== false ) {
				await stack.saveSettings( {
					zoom_enabled: false,
					jitsi_enabled: true,
					default_platform: 'jitsi',
					jitsi_server_url: jitsi.url,
					jitsi_app_id: JITSI_APP_ID,
					jitsi_app_secret: JITSI_APP_SECRET,
				} );
			}
		}
		return stack;
	} catch ( error ) {
		await site?.stop();
		await closeFakes();
		throw error;
	}
}

/** Site-local "YYYY-MM-DD HH:MM" for a moment, in the site's timezone. */
export function siteLocal( date: Date, timeZone: string ): string {
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat( 'en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } )
			.formatToParts( date )
			.map( ( p ) => [ p.type, p.value ] )
	);
	return `${ parts.year }-${ parts.month }-${ parts.day } ${ parts.hour }:${ parts.minute }`;
}

/** The invitation link from the last captured mail to `email`. */
export function invitationLink( site: Site, email: string ): string {
	const mail = site
		.mails()
		.filter( ( m ) => JSON.stringify( m.to ).includes( email ) && /bkx_vc=/.test( m.message ) )
		.at( -1 );
	const match = mail?.message.match( /https?:\/\/[^"\s<]+bkx_vc=[A-Za-z0-9_-]+/ );
	if ( ! match ) {
		throw new Error( `No invitation with a join link was sent to ${ email }. Mails: ${ JSON.stringify( site.mails().map( ( m ) => m.subject ) ) }` );
	}
	return match[ 0 ].replace( /&amp;/g, '&' );
}

/**
 * Test helpers: a fresh MariaDB database per test file (`bkx_test_<random>`), the slice of
 * WordPress's schema the sidecar reads, BookingX rows written the way BookingX writes them,
 * identities signed the way the plugin signs them, and a stand-in for the plugin's mail relay.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

import { startZoomFake } from '@bkx-video/platform-fakes';
import type { FastifyInstance } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import knexFactory, { type Knex } from 'knex';

import { buildApp } from '../src/app';
import type { Config } from '../src/config';
import { loadConfig } from '../src/config';
import { migrateLatest } from '../src/db/migrate';
import { tableNames } from '../src/db/tables';

export const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
export const PREFIX = 'wp_';

export interface TestDb {
	name: string;
	knex: Knex;
	drop(): Promise< void >;
}

const rootConnection = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

export async function createTestDatabase(): Promise< TestDb > {
	const name = `bkx_test_${ randomBytes( 6 ).toString( 'hex' ) }`;
	const admin = knexFactory( { client: 'mysql2', connection: rootConnection, pool: { min: 0, max: 1 } } );
	await admin.raw( `CREATE DATABASE \`${ name }\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci` );
	await admin.destroy();
	const knex = knexFactory( {
		client: 'mysql2',
		connection: { ...rootConnection, database: name, timezone: 'Z', dateStrings: true, charset: 'utf8mb4' },
		pool: { min: 0, max: 10 },
	} );
	return {
		name,
		knex,
		async drop() {
			await knex.destroy();
			const a = knexFactory( { client: 'mysql2', connection: rootConnection, pool: { min: 0, max: 1 } } );
			await a.raw( `DROP DATABASE IF EXISTS \`${ name }\`` );
			await a.destroy();
		},
	};
}

/** The columns of WordPress's tables that the sidecar reads (same names and types). */
export async function createWordPressTables( knex: Knex ): Promise< void > {
	const t = tableNames( PREFIX );
	await knex.schema.createTable( t.posts, ( table ) => {
		table.bigIncrements( 'ID' ).unsigned();
		table.bigInteger( 'post_author' ).unsigned().defaultTo( 0 );
		table.text( 'post_title' ).notNullable().defaultTo( '' );
		table.string( 'post_status', 20 ).defaultTo( 'publish' );
		table.string( 'post_type', 20 ).defaultTo( 'post' );
	} );
	await knex.schema.createTable( t.postmeta, ( table ) => {
		table.bigIncrements( 'meta_id' ).unsigned();
		table.bigInteger( 'post_id' ).unsigned().defaultTo( 0 ).index();
		table.string( 'meta_key', 255 ).nullable();
		table.text( 'meta_value', 'longtext' ).nullable();
	} );
	await knex.schema.createTable( t.options, ( table ) => {
		table.bigIncrements( 'option_id' ).unsigned();
		table.string( 'option_name', 191 ).unique();
		table.text( 'option_value', 'longtext' );
	} );
	await knex.schema.createTable( t.users, ( table ) => {
		table.bigIncrements( 'ID' ).unsigned();
		table.string( 'user_login', 60 );
		table.string( 'user_email', 100 );
		table.string( 'display_name', 250 );
	} );
	await knex.schema.createTable( t.usermeta, ( table ) => {
		table.bigIncrements( 'umeta_id' ).unsigned();
		table.bigInteger( 'user_id' ).unsigned();
		table.string( 'meta_key', 255 );
		table.text( 'meta_value', 'longtext' );
	} );
}

export function testConfig( dbName: string, overrides: Partial< Record< string, string > > = {} ): Config {
	return loadConfig( {
		BKX_VIDEO_SIDECAR_SECRET: SECRET,
		BKX_VIDEO_ENCRYPTION_KEY: randomBytes( 32 ).toString( 'hex' ),
		BKX_VIDEO_SITE_URL: 'http://127.0.0.1:9',
		BKX_VIDEO_DB_NAME: dbName,
		BKX_VIDEO_LOG_LEVEL: 'silent',
		BKX_VIDEO_CACHE_TTL_SECONDS: '0',
		// Recordings and work files of this test only (removed with the system's temp folder).
		BKX_VIDEO_DATA_DIR: join( tmpdir(), `bkx-video-${ dbName }` ),
		...overrides,
	} );
}

/** A controllable clock. */
export function testClock( start = '2026-11-22T09:00:00Z' ) {
	let now = new Date( start ).getTime();
	return {
		now: () => new Date( now ),
		set( iso: string ) {
			now = new Date( iso ).getTime();
		},
		advance( ms: number ) {
			now += ms;
		},
	};
}

export interface TestContext {
	db: TestDb;
	app: FastifyInstance;
	config: Config;
	clock: ReturnType< typeof testClock >;
	close(): Promise< void >;
}

export async function setup( options: { env?: Partial< Record< string, string > >; clockStart?: string } = {} ): Promise< TestContext > {
	const db = await createTestDatabase();
	await createWordPressTables( db.knex );
	await db.knex( `${ PREFIX }options` ).insert( [
		{ option_name: 'timezone_string', option_value: 'Europe/Berlin' },
		{ option_name: 'gmt_offset', option_value: '' },
	] );
	const config = testConfig( db.name, options.env );
	const clock = testClock( options.clockStart );
	const app = await buildApp( { config, clock: clock.now, knex: db.knex, logger: false } );
	await migrateLatest( db.knex, app.tables );
	await app.ready();
	return {
		db,
		app,
		config,
		clock,
		async close() {
			await app.close();
			await db.drop();
			await rm( config.dataDir, { recursive: true, force: true } );
		},
	};
}

export interface SignOptions {
	sub?: number;
	caps?: string[];
	roles?: string[];
	email?: string | null;
	name?: string;
	method: string;
	path: string;
	body?: string;
	iat?: number;
	exp?: number;
	jti?: string;
	secret?: string;
	alg?: 'HS256' | 'HS512';
}

/** Signs an identity exactly as the plugin's IdentitySigner does (docs/architecture.md §2). */
export async function signIdentity( o: SignOptions ): Promise< string > {
	const iat = o.iat ?? Math.floor( Date.now() / 1000 );
	// PHP sends `sub` as a number; jose's types expect a string, hence the cast.
	return new SignJWT( {
		sub: ( o.sub ?? 0 ) as unknown as string,
		roles: o.roles ?? [],
		caps: o.caps ?? [],
		email: o.email ?? null,
		name: o.name ?? '',
		method: o.method,
		path: o.path,
		body_sha256: createHash( 'sha256' ).update( o.body ?? '' ).digest( 'hex' ),
		jti: o.jti ?? randomBytes( 16 ).toString( 'hex' ),
	} )
		.setProtectedHeader( { alg: o.alg ?? 'HS256', typ: 'JWT' } )
		.setIssuedAt( iat )
		.setExpirationTime( o.exp ?? iat + 30 )
		.sign( new TextEncoder().encode( o.secret ?? SECRET ) );
}

export const ADMIN = { sub: 1, caps: [ 'manage_options', 'bkx_video_manage', 'bkx_video_conduct' ], roles: [ 'administrator' ], email: 'admin@example.test' };

/** Calls the app as the given identity (signed for the exact request). */
export async function call(
	app: FastifyInstance,
	who: Partial< SignOptions >,
	method: 'GET' | 'POST' | 'PUT' | 'DELETE',
	path: string,
	body?: unknown,
	clockNow?: Date
) {
	const raw = body === undefined ? undefined : JSON.stringify( body );
	const iat = Math.floor( ( clockNow ?? new Date() ).getTime() / 1000 );
	const token = await signIdentity( { iat, ...who, method, path, body: raw ?? '' } );
	const res = await app.inject( {
		method,
		url: path,
		headers: { 'x-bkx-identity': token, ...( raw ? { 'content-type': 'application/json' } : {} ) },
		payload: raw,
	} );
	return { status: res.statusCode, json: res.body ? ( JSON.parse( res.body ) as Record< string, unknown > ) : null, headers: res.headers };
}

/** BookingX fixtures written as BookingX writes them (reference/bookingx.md §2). */
export function bookingx( knex: Knex ) {
	const t = tableNames( PREFIX );
	const meta = async ( postId: number, entries: Record< string, string > ) => {
		for ( const [ k, v ] of Object.entries( entries ) ) {
			await knex( t.postmeta ).insert( { post_id: postId, meta_key: k, meta_value: v } );
		}
	};
	const post = async ( type: string, title: string, status = 'publish', author = 0 ) => {
		const [ id ] = await knex( t.posts ).insert( { post_type: type, post_title: title, post_status: status, post_author: author } );
		return Number( id );
	};
	return {
		async user( login: string, email: string, name: string ) {
			const [ id ] = await knex( t.users ).insert( { user_login: login, user_email: email, display_name: name } );
			return Number( id );
		},
		async service( title: string, video: boolean, minutes = 30 ) {
			const id = await post( 'bkx_base', title );
			await meta( id, { base_time_option: 'H', base_hours: String( Math.floor( minutes / 60 ) ), base_minutes: String( minutes % 60 ) } );
			if ( video ) {
				await meta( id, { _bkx_video_enabled: '1' } );
			}
			return id;
		},
		async seat( title: string, wpUserId: number ) {
			const id = await post( 'bkx_seat', title );
			await meta( id, { seat_wp_user_id: String( wpUserId ), seatEmail: 'seat@example.test' } );
			return id;
		},
		/** Per-key meta for non-empty values, then order_meta_data (serialized), as BookingX does. */
		async booking( b: { serviceId: number; seatId: number; start: string; end: string; email: string; first?: string; last?: string; status?: string } ) {
			const id = await post( 'bkx_booking', `Order – ${ b.start }`, b.status ?? 'bkx-pending' );
			const data: Record< string, string > = {
				seat_id: String( b.seatId ),
				base_id: String( b.serviceId ),
				first_name: b.first ?? 'Cara',
				last_name: b.last ?? 'Customer',
				email: b.email,
				booking_start_date: b.start,
				booking_end_date: b.end,
				payment_status: 'Not Completed',
				created_by: '0',
			};
			// Only non-empty values get their own meta key; empty ones live in order_meta_data only.
			await meta( id, Object.fromEntries( Object.entries( data ).filter( ( [ , v ] ) => v !== '' ) ) );
			const ser = `a:${ Object.keys( data ).length }:{${ Object.entries( data )
				.map( ( [ k, v ] ) => `s:${ Buffer.byteLength( k ) }:"${ k }";s:${ Buffer.byteLength( v ) }:"${ v }";` )
				.join( '' ) }}`;
			await meta( id, { order_meta_data: ser } );
			return id;
		},
		async setMeta( postId: number, key: string, value: string ) {
			await knex( t.postmeta ).where( { post_id: postId, meta_key: key } ).update( { meta_value: value } );
		},
		async setStatus( postId: number, status: string ) {
			await knex( t.posts ).where( 'ID', postId ).update( { post_status: status } );
		},
		async remove( postId: number ) {
			await knex( t.postmeta ).where( 'post_id', postId ).delete();
			await knex( t.posts ).where( 'ID', postId ).delete();
		},
		async event( bookingId: number, kind: string ) {
			await knex( `${ PREFIX }bkx_video_events` ).insert( {
				booking_id: bookingId,
				kind,
				snapshot: '{}',
				source_hook: 'test',
				created_at: new Date().toISOString().slice( 0, 19 ).replace( 'T', ' ' ),
			} );
		},
	};
}

/** A stand-in for the plugin's mail relay route: verifies the signature and records mails. */
export async function startMailRelay( secret = SECRET ) {
	const mails: Array< Record< string, unknown > > = [];
	/** Integration-health pushes (the plugin's `internal/health` route), newest last. */
	const health: Array< { platforms: Array< Record< string, unknown > > } > = [];
	/** Session events (the plugin's `internal/event` route: do_action for add-ons), newest last. */
	const events: Array< Record< string, unknown > > = [];
	const keys = new Set< string >();
	const server: Server = createServer( ( req, res ) => {
		const chunks: Buffer[] = [];
		req.on( 'data', ( c: Buffer ) => chunks.push( c ) );
		req.on( 'end', async () => {
			const body = Buffer.concat( chunks );
			try {
				const { payload } = await jwtVerify( String( req.headers[ 'x-bkx-signature' ] ), new TextEncoder().encode( secret ), {
					issuer: 'bkx-video-sidecar',
					audience: 'wordpress',
				} );
				if ( payload.body_sha256 !== createHash( 'sha256' ).update( body ).digest( 'hex' ) ) {
					throw new Error( 'body hash' );
				}
			} catch {
				res.writeHead( 401, { 'content-type': 'application/json' } ).end( '{"code":"unauthenticated"}' );
				return;
			}
			if ( String( req.url ).includes( 'internal/event' ) ) {
				const event = JSON.parse( body.toString() ) as Record< string, unknown >;
				const duplicate = keys.has( String( event.idempotency_key ) );
				keys.add( String( event.idempotency_key ) );
				if ( ! duplicate ) {
					events.push( event );
				}
				res.writeHead( 200, { 'content-type': 'application/json' } ).end( JSON.stringify( { fired: ! duplicate, duplicate } ) );
				return;
			}
			if ( String( req.url ).includes( 'internal/health' ) ) {
				health.push( JSON.parse( body.toString() ) as ( typeof health )[ number ] );
				res.writeHead( 200, { 'content-type': 'application/json' } ).end( '{"stored":true}' );
				return;
			}
			const mail = JSON.parse( body.toString() ) as Record< string, unknown >;
			const duplicate = keys.has( String( mail.idempotency_key ) );
			keys.add( String( mail.idempotency_key ) );
			if ( ! duplicate ) {
				mails.push( mail );
			}
			res.writeHead( 200, { 'content-type': 'application/json' } ).end( JSON.stringify( { sent: true, duplicate } ) );
		} );
	} );
	await new Promise< void >( ( resolve ) => server.listen( 0, '127.0.0.1', resolve ) );
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${ port }/`,
		/** The relay URL as the plugin has it; the health route's URL is derived from it. */
		wpUrl: `http://127.0.0.1:${ port }/?rest_route=/bookingx/v1/video/internal/mail`,
		mails,
		health,
		events,
		close: () => new Promise< void >( ( resolve ) => server.close( () => resolve() ) ),
	};
}

/** Runs the outbox, then the due jobs, as the workers do after a nudge from PHP. */
export async function drainAll( app: FastifyInstance ): Promise< void > {
	await app.workers.drainOutbox();
	await app.workers.runDueJobs();
}

/** A site-local slot `days` ahead at `hour`:00 lasting `minutes`, in BookingX's `Y-m-d H:i:s`. */
export function localSlot( days: number, hour: number, minutes = 30 ): { start: string; end: string } {
	const d = new Date( Date.now() + days * 86400_000 );
	const day = d.toISOString().slice( 0, 10 );
	const h = String( hour ).padStart( 2, '0' );
	const endMin = String( minutes % 60 ).padStart( 2, '0' );
	const endHour = String( hour + Math.floor( minutes / 60 ) ).padStart( 2, '0' );
	return { start: `${ day } ${ h }:00:00`, end: `${ day } ${ endHour }:${ endMin }:00` };
}

/** Books a 30-minute slot the way BookingX does, writes its outbox event and lets the sidecar apply it. */
export async function bookSlot(
	app: FastifyInstance,
	bx: ReturnType< typeof bookingx >,
	where: { video: number; seat: number },
	email: string,
	days: number,
	hour: number
): Promise< number > {
	const id = await bx.booking( { serviceId: where.video, seatId: where.seat, ...localSlot( days, hour ), email } );
	await bx.event( id, 'booking.saved' );
	await drainAll( app );
	return id;
}

/** Jitsi as the fallback platform (failover target) in the platform tests, with guests allowed. */
export const JITSI_FALLBACK = {
	jitsi_enabled: true,
	jitsi_server_url: 'https://meet.example.test',
	jitsi_app_id: 'app',
	jitsi_app_secret: 'jitsi-secret-0123456789',
	require_authentication: false,
} as const;


/**
 * A site on Zoom for the Zoom tests: the Zoom fake, the mail relay stand-in, the app on a fresh
 * database, one provider with a seat and a video service, and the Zoom settings saved (plus
 * `settings`). The app's clock starts now.
 */
export async function startZoomSite( o: { creds: { accountId: string; clientId: string; clientSecret: string }; provider: string; settings?: Record< string, unknown > } ) {
	const zoom = await startZoomFake( { ...o.creds, users: [ 'host@example.test' ] } );
	const relay = await startMailRelay();
	const ctx = await setup( {
		env: { BKX_VIDEO_MAIL_RELAY_URL: relay.wpUrl, BKX_VIDEO_ZOOM_API_URL: zoom.url, BKX_VIDEO_ZOOM_OAUTH_URL: zoom.oauthUrl, BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: '3' },
		clockStart: new Date().toISOString(),
	} );
	const bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', o.provider );
	const ids = { provider, seat: await bx.seat( o.provider, provider ), video: await bx.service( 'Video consultation', true ) };
	const res = await call(
		ctx.app,
		ADMIN,
		'PUT',
		'/v1/settings',
		{
			zoom_enabled: true,
			default_platform: 'zoom',
			zoom_account_id: o.creds.accountId,
			zoom_client_id: o.creds.clientId,
			zoom_client_secret: o.creds.clientSecret,
			zoom_user_id: 'host@example.test',
			...o.settings,
		},
		ctx.clock.now()
	);
	if ( res.status !== 200 ) {
		throw new Error( `The Zoom settings were refused: ${ JSON.stringify( res.json ) }` );
	}
	return {
		zoom,
		relay,
		ctx,
		bx,
		ids,
		async close() {
			await ctx.close();
			await relay.close();
			await zoom.close();
		},
	};
}

/**
 * Runs the real sidecar (src/server.ts: migrations, HTTP, workers) as a child process, as in
 * production; resolves once /readyz answers. `kill('SIGKILL')` it to simulate a crash.
 */
export async function spawnSidecar( env: Record< string, string > ): Promise< { child: ChildProcess; base: string; output: () => string; stop: () => Promise< void > } > {
	const probe = createServer();
	await new Promise< void >( ( resolve ) => probe.listen( 0, '127.0.0.1', resolve ) );
	const { port } = probe.address() as AddressInfo;
	await new Promise( ( resolve ) => probe.close( resolve ) );
	let output = '';
	const child = spawn( process.execPath, [ '--import', 'tsx', 'src/server.ts' ], {
		cwd: join( dirname( fileURLToPath( import.meta.url ) ), '..' ),
		env: { ...process.env, BKX_VIDEO_LOG_LEVEL: 'warn', ...env, BKX_VIDEO_PORT: String( port ) },
		stdio: [ 'ignore', 'pipe', 'pipe' ],
	} );
	const keep = ( d: Buffer ) => {
		output = ( output + d.toString() ).slice( -20_000 );
	};
	child.stdout!.on( 'data', keep );
	child.stderr!.on( 'data', keep );
	const exited = new Promise< void >( ( resolve ) => child.once( 'exit', () => resolve() ) );
	const base = `http://127.0.0.1:${ port }`;
	const stop = async () => {
		if ( child.exitCode === null && child.signalCode === null ) {
			child.kill( 'SIGTERM' );
			await exited;
		}
	};
	for ( let i = 0; i < 300; i++ ) {
		if ( child.exitCode !== null ) {
			throw new Error( `the sidecar exited with ${ child.exitCode } while starting:\n${ output }` );
		}
		if ( await fetch( `${ base }/readyz` ).then( ( r ) => r.ok, () => false ) ) {
			return { child, base, output: () => output, stop };
		}
		await new Promise( ( r ) => setTimeout( r, 100 ) );
	}
	await stop();
	throw new Error( `the sidecar did not answer /readyz within 30 s:\n${ output }` );
}

/**
 * rooms/janus.ts and rooms/janus-rooms.ts against a real Janus 1.1 (Debian `janus`) on 127.0.0.1,
 * configured as docs/operations.md says: api_secret for the sidecar, signed tokens for browsers,
 * a VideoRoom admin_key. Skipped where Janus is not installed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ServerMessage, SfuAccess } from '@bkx-video/contracts';

import { startJanus, type RunningJanus } from '../../e2e/src/janus';
import { createJanusClient, JanusError, signedJanusToken, VIDEOROOM, type JanusClient } from '../src/rooms/janus';
import { createJanusRooms, janusRoomNumber } from '../src/rooms/janus-rooms';
import { createRoomHub, type RoomConfig, type RoomConn, type RoomPerson } from '../src/rooms/room-hub';

const API_SECRET = 'janus-api-secret-0123456789';
const TOKEN_SECRET = 'janus-token-secret-0123456789';
const ADMIN_KEY = 'janus-admin-key-0123456789';

/** `janus` on PATH (`janus -V` exits 1 even when it works). */
function hasJanus(): boolean {
	return ( process.env.PATH ?? '' ).split( delimiter ).some( ( d ) => d && existsSync( join( d, 'janus' ) ) );
}

function freePort(): Promise< number > {
	return new Promise( ( resolve, reject ) => {
		const srv = createServer();
		srv.once( 'error', reject );
		srv.listen( 0, '127.0.0.1', () => {
			const address = srv.address();
			srv.close( () => resolve( typeof address === 'object' && address ? address.port : 0 ) );
		} );
	} );
}

/** What a browser does with its access, minus WebRTC: session (signed token), attach, join as publisher. */
async function browserJoin( url: string, access: SfuAccess, overrides: Record< string, unknown > = {} ): Promise< Record< string, unknown > > {
	const auth = access.core_token ? { token: access.core_token } : {};
	const post = async ( path: string, body: Record< string, unknown > ) =>
		( await ( await fetch( `${ url }${ path }`, { method: 'POST', body: JSON.stringify( { ...body, ...auth, transaction: randomBytes( 6 ).toString( 'hex' ) } ) } ) ).json() ) as Record< string, any >;
	const session = await post( '', { janus: 'create' } );
	if ( session.janus === 'error' ) {
		return session.error;
	}
	const handle = await post( `/${ session.data.id }`, { janus: 'attach', plugin: VIDEOROOM } );
	await post( `/${ session.data.id }/${ handle.data.id }`, {
		janus: 'message',
		body: { request: 'join', ptype: 'publisher', room: access.room, pin: access.pin, token: access.token, id: access.feed, display: access.display, ...overrides },
	} );
	const events = await ( await fetch( `${ url }/${ session.data.id }?maxev=1${ access.core_token ? `&token=${ encodeURIComponent( access.core_token ) }` : '' }` ) ).json();
	return ( events as any ).plugindata?.data ?? events;
}

describe.skipIf( ! hasJanus() )( 'Janus VideoRoom (real Janus)', () => {
	let janus: RunningJanus;
	let dir: string;
	let client: JanusClient;
	let url: string;

	beforeAll( async () => {
		dir = mkdtempSync( join( tmpdir(), 'bkx-janus-' ) );
		const port = await freePort();
		const base = 30_000 + Math.floor( Math.random() * 20_000 );
		janus = await startJanus( join( dir, 'conf' ), { ip: '127.0.0.1', httpPort: port, apiSecret: API_SECRET, tokenSecret: TOKEN_SECRET, adminKey: ADMIN_KEY, rtpPorts: `${ base }-${ base + 100 }` } );
		url = janus.url;
		client = createJanusClient( { url, apiSecret: API_SECRET, adminKey: ADMIN_KEY, timeoutMs: 5000 } );
	}, 30_000 );
	afterAll( async () => {
		await janus?.stop();
		rmSync( dir, { recursive: true, force: true } );
	} );

	it( 'creates a room once (exists first, a concurrent create counts as exists), with the cap, and destroys it', async () => {
		const room = 7_000_000_001;
		const input = { room, description: 'Consultation 1', publishers: 7, secret: 's3cret', pin: 'p1n', allowed: [] };
		const created = await Promise.all( [ client.ensureRoom( input ), client.ensureRoom( input ), client.ensureRoom( input ) ] );
		expect( created.filter( Boolean ) ).toHaveLength( 1 );
		expect( await client.exists( room ) ).toBe( true );
		expect( ( await client.describe( room ) ).maxPublishers ).toBe( 7 );
		await client.destroyRoom( room, 's3cret' );
		expect( await client.exists( room ) ).toBe( false );
		// Gone already: fine.
		await client.destroyRoom( room, 's3cret' );
	} );

	it( 'maps refusals to JanusError: no api secret (403), wrong admin key (433), unreachable (0)', async () => {
		const input = { room: 7_000_000_002, description: 'x', publishers: 2, secret: 's', pin: 'p', allowed: [] };
		await expect( createJanusClient( { url, adminKey: ADMIN_KEY } ).exists( 1 ) ).rejects.toMatchObject( { name: 'JanusError', code: 403 } );
		await expect( createJanusClient( { url, apiSecret: API_SECRET, adminKey: 'wrong' } ).ensureRoom( input ) ).rejects.toMatchObject( { code: 433 } );
		const closed = await freePort();
		const error = await createJanusClient( { url: `http://127.0.0.1:${ closed }/janus`, timeoutMs: 2000 } ).exists( 1 ).catch( ( e: unknown ) => e );
		expect( error ).toBeInstanceOf( JanusError );
		expect( ( error as JanusError ).code ).toBe( 0 );
	} );

	it( 'gives admitted peers their own access through the hub, and takes it back when they leave', async () => {
		const rooms = createJanusRooms( { client, publicUrl: url, key: 'k'.repeat( 40 ), tokenSecret: TOKEN_SECRET, clock: () => new Date() } );
		const hub = createRoomHub( { clock: () => new Date(), resumeGraceSeconds: 0.05, events: { joined() {}, left() {}, ended() {} }, media: rooms } );
		const config: RoomConfig = { roomId: 'r_janus', consultationId: 4242, password: null, waitingRoom: true, maxParticipants: 5, endOnHostLeave: false, chat: true, screenShare: true };
		const person = ( key: string, role: RoomPerson[ 'role' ] ): RoomPerson => ( { key, name: key, role, userId: 0, email: null } );
		const conn = () => {
			const inbox: ServerMessage[] = [];
			const c: RoomConn & { inbox: ServerMessage[] } = { inbox, send: ( m ) => inbox.push( m ), close() {} };
			return c;
		};
		const sfuOf = async ( c: { inbox: ServerMessage[] } ) => {
			await expect.poll( () => c.inbox.some( ( m ) => m.type === 'sfu' ), { timeout: 10_000 } ).toBe( true );
			return ( c.inbox.find( ( m ) => m.type === 'sfu' ) as Extract< ServerMessage, { type: 'sfu' } > ).access;
		};

		const host = conn();
		const hs = hub.attach( config, person( 'wp-1', 'host' ), host );
		hs.message( JSON.stringify( { type: 'join' } ) );
		const hostAccess = await sfuOf( host );
		expect( hostAccess ).toMatchObject( { janus_url: url, room: janusRoomNumber( 4242 ), display: host.inbox[ 0 ]!.type === 'welcome' ? ( host.inbox[ 0 ] as { self: { id: string } } ).self.id : '' } );
		expect( ( await client.describe( hostAccess.room ) ).maxPublishers ).toBe( 5 );

		// The customer waits: no access until the host admits them.
		const cust = conn();
		const cs = hub.attach( config, person( 'customer-1', 'participant' ), cust );
		cs.message( JSON.stringify( { type: 'join' } ) );
		await new Promise( ( r ) => setTimeout( r, 300 ) );
		expect( cust.inbox.map( ( m ) => m.type ) ).toEqual( [ 'waiting' ] );
		const waitingId = ( cust.inbox[ 0 ] as { self: { id: string } } ).self.id;
		hs.message( JSON.stringify( { type: 'admit', peer: waitingId } ) );
		const custAccess = await sfuOf( cust );
		expect( custAccess.token ).not.toBe( hostAccess.token );
		expect( custAccess.pin ).toBe( hostAccess.pin );

		// Browsers: a session without the signed token is refused; with it, each joins as its own publisher.
		expect( await browserJoin( url, { ...hostAccess, core_token: undefined } ) ).toMatchObject( { code: 403 } );
		expect( await browserJoin( url, { ...hostAccess, core_token: signedJanusToken( TOKEN_SECRET, new Date( Date.now() - 1000 ) ) } ) ).toMatchObject( { code: 403 } );
		expect( await browserJoin( url, hostAccess ) ).toMatchObject( { videoroom: 'joined', id: hostAccess.feed } );
		expect( await browserJoin( url, custAccess ) ).toMatchObject( { videoroom: 'joined', id: custAccess.feed } );
		// Someone else's token, or none, does not publish.
		expect( await browserJoin( url, { ...custAccess, token: 'guessed', feed: 99 } ) ).toMatchObject( { error_code: 433 } );
		expect( await browserJoin( url, custAccess, { pin: 'wrong', id: 98 } ) ).toMatchObject( { error_code: 433 } );
		const ids = async () => ( await client.describe( hostAccess.room ) ).participants.map( ( p ) => p.id ).sort();
		expect( await ids() ).toEqual( [ hostAccess.feed, custAccess.feed ].sort() );

		// The customer leaves: their publisher is kicked and their token no longer works.
		cs.message( JSON.stringify( { type: 'leave' } ) );
		await rooms.idle();
		expect( await ids() ).toEqual( [ hostAccess.feed ] );
		expect( await browserJoin( url, { ...custAccess, feed: 97 } ) ).toMatchObject( { error_code: 433 } );

		// The last one gone (after the grace period): the Janus room is destroyed.
		hs.closed();
		await new Promise( ( r ) => setTimeout( r, 200 ) );
		await rooms.idle();
		expect( await client.exists( hostAccess.room ) ).toBe( false );
	} );
} );

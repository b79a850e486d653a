/**
 * The built-in room through the Janus VideoRoom SFU (issue 6, spec test scenario 5): 5 people in
 * one consultation, their pages spread over 2 Chromium browsers in 2 network namespaces, Janus in
 * the lab's hub namespace. WordPress and the sidecar stay in the root namespace; the sidecar
 * reaches Janus through `forwardIntoHub`, browsers reach it directly at the hub address.
 *
 * Janus runs as docs/operations.md says: `api_secret` (the sidecar's), signed tokens for browsers
 * (`token_auth_secret`), a VideoRoom `admin_key`. The people: the provider (host), the site admin
 * and two more administrators (hosts), and the booking's guest customer, who waits until the
 * provider admits them and gets no Janus access before.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createJanusClient } from '../../sidecar/src/rooms/janus';
import { janusRoomNumber } from '../../sidecar/src/rooms/janus-rooms';
import { startJanus, type RunningJanus } from '../src/janus';
import { netnsSupport, type NetLab } from '../src/netns';
import { admitOrDeny, booking, joinFromPreflight, room, roomStats, roomUrl, startRoomLab } from '../src/room';
import type { Stack } from '../src/stack';

const API_SECRET = 'janus-e2e-api-secret-0123456789';
const TOKEN_SECRET = 'janus-e2e-token-secret-0123456789';
const ADMIN_KEY = 'janus-e2e-admin-key-0123456789';
const JANUS_PORT = 8088;
const MAX_PARTICIPANTS = 8;
const support = netnsSupport();

let stack: Stack;
let lab: NetLab;
let janus: RunningJanus;
let janusRootPort: number;
let browsers: Record< 'a' | 'b', Browser >;
const contexts: BrowserContext[] = [];

/** A page of its own context in one of the two browsers, logged in through wp-login.php (or a guest). */
async function personPage( browser: 'a' | 'b', login?: { user: string; password: string } ): Promise< Page > {
	const context = await browsers[ browser ].newContext( { locale: 'en-US' } );
	contexts.push( context );
	const page = await context.newPage();
	if ( login ) {
		await page.goto( `${ stack.site.url }/wp-login.php` );
		await page.locator( '#user_login' ).fill( login.user );
		await page.locator( '#user_pass' ).fill( login.password );
		await Promise.all( [ page.waitForURL( /wp-admin/, { timeout: 30_000 } ), page.locator( '#wp-submit' ).click() ] );
	}
	return page;
}

describe.skipIf( ! support.ok )( 'the built-in room through the Janus SFU', () => {
	beforeAll( async () => {
		( { stack, lab, browsers } = await startRoomLab( {
			peers: [ 'a', 'b' ],
			// Janus in the hub, before the stack: the sidecar is configured with it.
			beforeStack: async ( netLab ) => {
				// The sidecar's way in (root namespace → hub); also how this test probes and inspects Janus.
				janusRootPort = await netLab.forwardIntoHub( JANUS_PORT );
				janus = await startJanus(
					`${ netLab.dir }/janus`,
					{ ip: netLab.hub.ip, httpPort: JANUS_PORT, apiSecret: API_SECRET, tokenSecret: TOKEN_SECRET, adminKey: ADMIN_KEY, rtpPorts: '20000-20400' },
					( cmd, args ) => netLab.exec( 'hub', cmd, args ),
					async () => ( await fetch( `http://127.0.0.1:${ janusRootPort }/janus/info` ).catch( () => null ) )?.ok ?? false
				);
				return {
					BKX_VIDEO_JANUS_URL: `http://127.0.0.1:${ janusRootPort }/janus`,
					BKX_VIDEO_JANUS_PUBLIC_URL: janus.url,
					BKX_VIDEO_JANUS_API_SECRET: API_SECRET,
					BKX_VIDEO_JANUS_TOKEN_SECRET: TOKEN_SECRET,
					BKX_VIDEO_JANUS_ADMIN_KEY: ADMIN_KEY,
				};
			},
			settings: { max_participants: MAX_PARTICIPANTS },
		} ) );
	}, 180_000 );
	afterAll( async () => {
		await Promise.all( contexts.map( ( c ) => c.close().catch( () => undefined ) ) );
		await lab?.destroy();
		await stack?.stop();
	} );

	it( 'carries 5 participants in 2 browsers: each decodes the other 4, the customer only after admission', async () => {
		const { site } = stack;
		// Two more people who may join as hosts: administrators of the site.
		const extra = [ 'Hana', 'Ivo' ].map( ( name ) => ( { name, user: `sfu${ name.toLowerCase() }`, password: `pw-${ name.toLowerCase() }-0123456789` } ) );
		await site.php(
			extra
				.map( ( u ) => `wp_insert_user( [ 'user_login' => '${ u.user }', 'user_pass' => '${ u.password }', 'user_email' => '${ u.user }@example.test', 'display_name' => 'Dr. ${ u.name }', 'role' => 'administrator' ] );` )
				.join( '\n' )
		);

		// A guest booking starting in 5 minutes (its room is open).
		const b = await booking( stack, 'Sofia' );
		const roomPage = roomUrl( stack, b.roomId );
		const started = Date.now();

		// The provider first (a host opens the room), in browser a.
		const provider = await personPage( 'a', { user: site.users.provider.login, password: site.users.provider.password } );
		await provider.goto( roomPage );
		await joinFromPreflight( provider, undefined, 30_000 );
		await expect.poll( async () => ( await roomStats( provider ) ).hasSfuAccess, { timeout: 30_000 } ).toBe( true );

		// The customer, in browser a, waits: in the waiting room there is no Janus session at all.
		const customer = await personPage( 'a' );
		await customer.goto( roomUrl( stack, b.roomId, b.token ) );
		await joinFromPreflight( customer, b.password, 30_000 );
		await expect.poll( async () => ( await roomStats( customer ) ).phase, { timeout: 30_000 } ).toBe( 'waiting' );
		expect( ( await roomStats( customer ) ).hasSfuAccess ).toBe( false );

		// The admin (browser a) and the two extra administrators (browser b) come in as hosts.
		const others = [
			await personPage( 'a', { user: site.users.admin.login, password: site.users.admin.password } ),
			...( await Promise.all( extra.map( ( u ) => personPage( 'b', u ) ) ) ),
		];
		for ( const page of others ) {
			await page.goto( roomPage );
			await joinFromPreflight( page, undefined, 30_000 );
		}

		await admitOrDeny( provider, 'Admit', b.name, 30_000 );

		const pages = [ provider, customer, ...others ];
		for ( const page of pages ) {
			await expect
				.poll( async () => ( await roomStats( page ) ).inbound.filter( ( n ) => n > 10 ).length, { timeout: 60_000, interval: 1000 } )
				.toBeGreaterThanOrEqual( 4 );
		}
		const elapsed = Date.now() - started;
		const all = await Promise.all( pages.map( roomStats ) );
		for ( const s of all ) {
			expect( s.phase ).toBe( 'joined' );
			expect( s.peers ).toBe( 4 );
			// Simulcast: the camera goes out in layers (Chromium sends as many as the resolution allows).
			expect( s.rids.length ).toBeGreaterThanOrEqual( 2 );
		}

		// Janus has the room the sidecar made, capped by our max_participants, with the 5 publishers.
		const client = createJanusClient( { url: `http://127.0.0.1:${ janusRootPort }/janus`, apiSecret: API_SECRET, adminKey: ADMIN_KEY } );
		const described = await client.describe( janusRoomNumber( b.consultationId ) );
		expect( described.maxPublishers ).toBe( MAX_PARTICIPANTS );
		expect( described.participants.filter( ( p ) => p.publisher ) ).toHaveLength( 5 );
		console.info( `[sfu] 5 participants decoding each other ${ elapsed } ms after the provider opened the room; inbound frames ${ JSON.stringify( all.map( ( s ) => s.inbound ) ) }` );

		// The customer leaves: the others stop watching them, and Janus drops their publisher.
		await room( customer ).getByRole( 'button', { name: 'Leave' } ).click();
		await expect.poll( async () => ( await roomStats( provider ) ).peers, { timeout: 20_000 } ).toBe( 3 );
		await expect.poll( async () => ( await client.describe( janusRoomNumber( b.consultationId ) ) ).participants.length, { timeout: 20_000 } ).toBe( 4 );
	}, 240_000 );
} );

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
import { createNetLab, netnsSupport, type NetLab } from '../src/netns';
import { invitationLink, siteLocal, startStack, type Stack } from '../src/stack';

const SITE_TZ = 'Europe/Berlin';
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

interface SfuStats {
	phase: string;
	peers: number;
	/** framesDecoded of each inbound video stream, over all connections. */
	inbound: number[];
	/** rids of the publisher's outbound video (simulcast layers). */
	rids: string[];
	hasSfuAccess: boolean;
}

async function sfuStats( page: Page ): Promise< SfuStats > {
	return page.evaluate( async () => {
		const element = document.querySelector( '.wp-block-bookingx-video-meeting-room' ) as HTMLElement & { bkxRoom?: any };
		const client = element?.bkxRoom;
		if ( ! client ) {
			return { phase: 'none', peers: 0, inbound: [], rids: [], hasSfuAccess: false };
		}
		const inbound: number[] = [];
		const rids: string[] = [];
		const pcs = client.peerConnections() as Map< string, RTCPeerConnection >;
		for ( const [ id, pc ] of pcs ) {
			const stats = await pc.getStats();
			stats.forEach( ( s: any ) => {
				if ( s.type === 'inbound-rtp' && s.kind === 'video' ) {
					inbound.push( s.framesDecoded ?? 0 );
				}
				if ( id === 'sfu:publisher' && s.type === 'outbound-rtp' && s.kind === 'video' && s.rid ) {
					rids.push( s.rid );
				}
			} );
		}
		return { phase: String( client.phase ), peers: client.peers.size as number, inbound, rids: rids.sort(), hasSfuAccess: pcs.has( 'sfu:publisher' ) };
	} );
}

const room = ( page: Page ) => page.locator( '.wp-block-bookingx-video-meeting-room' );

async function joinFromPreflight( page: Page, password?: string ) {
	const join = room( page ).getByRole( 'button', { name: 'Join consultation' } );
	await expect.poll( () => join.isEnabled(), { timeout: 30_000 } ).toBe( true );
	if ( password !== undefined ) {
		await room( page ).getByLabel( 'Meeting password' ).fill( password );
	}
	await join.click();
}

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
		lab = await createNetLab( { peers: [ 'a', 'b' ] } );
		// The sidecar's way in (root namespace → hub); also how this test probes and inspects Janus.
		janusRootPort = await lab.forwardIntoHub( JANUS_PORT );
		janus = await startJanus(
			`${ lab.dir }/janus`,
			{ ip: lab.hub.ip, httpPort: JANUS_PORT, apiSecret: API_SECRET, tokenSecret: TOKEN_SECRET, adminKey: ADMIN_KEY, rtpPorts: '20000-20400' },
			( cmd, args ) => lab.exec( 'hub', cmd, args ),
			async () => ( await fetch( `http://127.0.0.1:${ janusRootPort }/janus/info` ).catch( () => null ) )?.ok ?? false
		);
		stack = await startStack( {
			timezone: SITE_TZ,
			configureJitsi: false,
			sidecarEnv: {
				BKX_VIDEO_JANUS_URL: `http://127.0.0.1:${ janusRootPort }/janus`,
				BKX_VIDEO_JANUS_PUBLIC_URL: janus.url,
				BKX_VIDEO_JANUS_API_SECRET: API_SECRET,
				BKX_VIDEO_JANUS_TOKEN_SECRET: TOKEN_SECRET,
				BKX_VIDEO_JANUS_ADMIN_KEY: ADMIN_KEY,
			},
		} );
		const sitePort = Number( new URL( stack.site.url ).port );
		for ( const peer of [ 'a', 'b' ] ) {
			await lab.forward( peer, sitePort );
			await lab.forward( peer, stack.sidecar.port );
		}
		const [ a, b ] = await Promise.all( [ lab.launchChromium( 'a' ), lab.launchChromium( 'b' ) ] );
		browsers = { a: a!, b: b! };
		await stack.saveSettings( {
			zoom_enabled: false,
			jitsi_enabled: false,
			webrtc_enabled: true,
			default_platform: 'webrtc',
			require_authentication: false,
			password_required: true,
			waiting_room_enabled: true,
			max_participants: MAX_PARTICIPANTS,
			// Recording (and its consent dialog) has its own test.
			auto_recording: false,
			webrtc_stun_servers: [],
			webrtc_turn_servers: [],
		} );
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
		const email = 'sfu-guest@example.test';
		const start = new Date( Math.ceil( Date.now() / 60000 ) * 60000 + 5 * 60000 );
		const bookingId = await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( start, SITE_TZ ),
			customer: { first_name: 'Sofia', last_name: 'Patient', email, phone: '123' },
			as: 'guest',
		} );
		await stack.settle();
		const row = JSON.parse(
			await site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_row( $wpdb->prepare( "SELECT id, meeting_id, meeting_password FROM {$wpdb->prefix}bkx_video_consultations WHERE booking_id = %d", ${ bookingId } ) ) );` )
		) as { id: string; meeting_id: string; meeting_password: string };
		const roomUrl = `${ site.url }/?bkx_video_room=${ row.meeting_id }`;
		const started = Date.now();

		// The provider first (a host opens the room), in browser a.
		const provider = await personPage( 'a', { user: site.users.provider.login, password: site.users.provider.password } );
		await provider.goto( roomUrl );
		await joinFromPreflight( provider );
		await expect.poll( async () => ( await sfuStats( provider ) ).hasSfuAccess, { timeout: 30_000 } ).toBe( true );

		// The customer, in browser a, waits: in the waiting room there is no Janus session at all.
		const customer = await personPage( 'a' );
		await customer.goto( `${ roomUrl }&bkx_vc=${ new URL( invitationLink( site, email ) ).searchParams.get( 'bkx_vc' ) }` );
		await joinFromPreflight( customer, row.meeting_password );
		await expect.poll( async () => ( await sfuStats( customer ) ).phase, { timeout: 30_000 } ).toBe( 'waiting' );
		expect( ( await sfuStats( customer ) ).hasSfuAccess ).toBe( false );

		// The admin (browser a) and the two extra administrators (browser b) come in as hosts.
		const others = [
			await personPage( 'a', { user: site.users.admin.login, password: site.users.admin.password } ),
			...( await Promise.all( extra.map( ( u ) => personPage( 'b', u ) ) ) ),
		];
		for ( const page of others ) {
			await page.goto( roomUrl );
			await joinFromPreflight( page );
		}

		await expect.poll( () => room( provider ).getByRole( 'button', { name: /^People.*1 waiting/ } ).isVisible(), { timeout: 30_000 } ).toBe( true );
		await room( provider ).getByRole( 'button', { name: 'Admit Sofia Patient' } ).click( { timeout: 5000 } );

		const pages = [ provider, customer, ...others ];
		for ( const page of pages ) {
			await expect
				.poll( async () => ( await sfuStats( page ) ).inbound.filter( ( n ) => n > 10 ).length, { timeout: 60_000, interval: 1000 } )
				.toBeGreaterThanOrEqual( 4 );
		}
		const elapsed = Date.now() - started;
		const all = await Promise.all( pages.map( sfuStats ) );
		for ( const s of all ) {
			expect( s.phase ).toBe( 'joined' );
			expect( s.peers ).toBe( 4 );
			// Simulcast: the camera goes out in layers (Chromium sends as many as the resolution allows).
			expect( s.rids.length ).toBeGreaterThanOrEqual( 2 );
		}

		// Janus has the room the sidecar made, capped by our max_participants, with the 5 publishers.
		const client = createJanusClient( { url: `http://127.0.0.1:${ janusRootPort }/janus`, apiSecret: API_SECRET, adminKey: ADMIN_KEY } );
		const described = await client.describe( janusRoomNumber( Number( row.id ) ) );
		expect( described.maxPublishers ).toBe( MAX_PARTICIPANTS );
		expect( described.participants.filter( ( p ) => p.publisher ) ).toHaveLength( 5 );
		console.info( `[sfu] 5 participants decoding each other ${ elapsed } ms after the provider opened the room; inbound frames ${ JSON.stringify( all.map( ( s ) => s.inbound ) ) }` );

		// The customer leaves: the others stop watching them, and Janus drops their publisher.
		await room( customer ).getByRole( 'button', { name: 'Leave' } ).click();
		await expect.poll( async () => ( await sfuStats( provider ) ).peers, { timeout: 20_000 } ).toBe( 3 );
		await expect.poll( async () => ( await client.describe( janusRoomNumber( Number( row.id ) ) ) ).participants.length, { timeout: 20_000 } ).toBe( 4 );
	}, 240_000 );
} );

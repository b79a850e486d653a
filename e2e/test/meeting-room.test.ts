/**
 * The built-in room (issue 6) in real Chromium: the provider and the customer each in a browser of
 * their own network namespace (e2e/src/netns.ts), WordPress and the sidecar in the root namespace
 * (reached at the same 127.0.0.1 URLs through the lab's forwards), media across the lab's bridge.
 *
 * The customer comes from the invitation link through the Join button to the room page, passes the
 * preflight, types the meeting password and waits; the provider admits them; both decode the
 * other's video; chat arrives; a screen share replaces the camera; a cut link heals by itself;
 * relay-only through coturn; deny, a wrong password, and another booking's customer are refused.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNetLab, netnsSupport, type NetLab, type TurnServer } from '../src/netns';
import { invitationLink, siteLocal, startStack, type Stack } from '../src/stack';

const SITE_TZ = 'Europe/Berlin';
const TURN_SECRET = 'room-turn-secret-0123456789';
const support = netnsSupport();

let stack: Stack;
let lab: NetLab;
let turn: TurnServer;
let hostBrowser: Browser;
let customerBrowser: Browser;
let next = 0;

/** What the room's own client says about its media, read in the page. */
interface RoomStats {
	phase: string;
	peers: number;
	decoded: number[];
	pairs: Array< { local: string; remote: string; address: string } | null >;
	videoTrackLabels: string[];
}

async function roomStats( page: Page ): Promise< RoomStats > {
	return page.evaluate( async () => {
		const element = document.querySelector( '.wp-block-bookingx-video-meeting-room' ) as HTMLElement & { bkxRoom?: any };
		const client = element?.bkxRoom;
		if ( ! client ) {
			return { phase: 'none', peers: 0, decoded: [], pairs: [], videoTrackLabels: [] };
		}
		const decoded: number[] = [];
		const pairs: RoomStats[ 'pairs' ] = [];
		const videoTrackLabels: string[] = [];
		for ( const pc of ( client.peerConnections() as Map< string, RTCPeerConnection > ).values() ) {
			const stats = await pc.getStats();
			let frames = 0;
			let pair: RoomStats[ 'pairs' ][ number ] = null;
			const byId = new Map< string, any >();
			stats.forEach( ( s: any ) => byId.set( s.id, s ) );
			stats.forEach( ( s: any ) => {
				if ( s.type === 'inbound-rtp' && s.kind === 'video' ) {
					frames += s.framesDecoded ?? 0;
				}
				if ( s.type === 'transport' && s.selectedCandidatePairId ) {
					const p = byId.get( s.selectedCandidatePairId );
					const l = p && byId.get( p.localCandidateId );
					const r = p && byId.get( p.remoteCandidateId );
					if ( l && r ) {
						pair = { local: l.candidateType, remote: r.candidateType, address: l.address ?? l.ip };
					}
				}
			} );
			decoded.push( frames );
			pairs.push( pair );
			for ( const sender of pc.getSenders() ) {
				if ( sender.track?.kind === 'video' ) {
					videoTrackLabels.push( sender.track.label );
				}
			}
		}
		return { phase: String( client.phase ), peers: client.peers.size as number, decoded, pairs, videoTrackLabels };
	} );
}

/** Waits until every connection of the page has decoded more than `min` video frames. */
async function decodes( page: Page, min = 10, timeout = 30_000 ) {
	await expect.poll( async () => {
		const s = await roomStats( page );
		return s.decoded.length > 0 && s.decoded.every( ( n ) => n > min );
	}, { timeout, interval: 500 } ).toBe( true );
	return roomStats( page );
}

const room = ( page: Page ) => page.locator( '.wp-block-bookingx-video-meeting-room' );

/** A guest booking starting in 5 minutes (its room is open), with its room, password and invitation link. */
async function booking( first: string ) {
	const { site } = stack;
	const email = `${ first.toLowerCase() }${ next++ }@example.test`;
	const start = new Date( Math.ceil( Date.now() / 60000 ) * 60000 + 5 * 60000 );
	const id = await site.bookings.create( {
		serviceId: site.fixtures.videoServiceId,
		seatId: site.fixtures.seatId,
		start: siteLocal( start, SITE_TZ ),
		customer: { first_name: first, last_name: 'Patient', email, phone: '123' },
		as: 'guest',
	} );
	await stack.settle();
	const row = JSON.parse(
		await site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_row( $wpdb->prepare( "SELECT id, platform, meeting_id, meeting_password FROM {$wpdb->prefix}bkx_video_consultations WHERE booking_id = %d", ${ id } ) ) );` )
	) as { id: string; platform: string; meeting_id: string; meeting_password: string };
	expect( row.platform ).toBe( 'webrtc' );
	return { bookingId: id, email, name: `${ first } Patient`, roomId: row.meeting_id, password: row.meeting_password, link: invitationLink( site, email ) };
}

async function providerPage(): Promise< { context: BrowserContext; page: Page } > {
	const session = await stack.site.login( 'provider' );
	const context = await hostBrowser.newContext( { locale: 'en-US' } );
	await context.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: stack.site.url } ) ) );
	return { context, page: await context.newPage() };
}

/** The preflight's Join, with the password when the room asks for one. */
async function joinFromPreflight( page: Page, password?: string ) {
	const join = room( page ).getByRole( 'button', { name: 'Join consultation' } );
	await expect.poll( () => join.isEnabled(), { timeout: 20_000 } ).toBe( true );
	if ( password !== undefined ) {
		await room( page ).getByLabel( 'Meeting password' ).fill( password );
	}
	await join.click();
}

/** The host sees who knocks at once (the people list opens, People shows a count) and lets them in or turns them away. */
async function admitOrDeny( page: Page, action: 'Admit' | 'Deny', name: string ) {
	await expect.poll( () => room( page ).getByRole( 'button', { name: /^People.*1 waiting/ } ).isVisible(), { timeout: 20_000 } ).toBe( true );
	await room( page ).getByRole( 'button', { name: `${ action } ${ name }` } ).click( { timeout: 5000 } );
}

/** Host in, customer in through the waiting room; returns both pages. */
async function bothIn( b: Awaited< ReturnType< typeof booking > > ) {
	const host = await providerPage();
	await host.page.goto( `${ stack.site.url }/?bkx_video_room=${ b.roomId }` );
	await joinFromPreflight( host.page );
	await expect.poll( async () => ( await roomStats( host.page ) ).phase, { timeout: 20_000 } ).toBe( 'joined' );

	const customerContext = await customerBrowser.newContext( { locale: 'en-US' } );
	const customer = await customerContext.newPage();
	await customer.goto( `${ stack.site.url }/?bkx_video_room=${ b.roomId }&bkx_vc=${ new URL( b.link ).searchParams.get( 'bkx_vc' ) }` );
	await joinFromPreflight( customer, b.password );
	await expect.poll( async () => ( await roomStats( customer ) ).phase, { timeout: 20_000 } ).toBe( 'waiting' );
	await admitOrDeny( host.page, 'Admit', b.name );
	await expect.poll( async () => ( await roomStats( customer ) ).phase, { timeout: 20_000 } ).toBe( 'joined' );
	return { host, customer, customerContext };
}

describe.skipIf( ! support.ok )( 'the built-in room', () => {
	beforeAll( async () => {
		stack = await startStack( { timezone: SITE_TZ, configureJitsi: false } );
		lab = await createNetLab( { peers: [ 'host', 'cust' ] } );
		const sitePort = Number( new URL( stack.site.url ).port );
		for ( const peer of [ 'host', 'cust' ] ) {
			await lab.forward( peer, sitePort );
			await lab.forward( peer, stack.sidecar.port );
		}
		turn = await lab.startTurn( { secret: TURN_SECRET, realm: 'bkx-e2e' } );
		[ hostBrowser, customerBrowser ] = await Promise.all( [ lab.launchChromium( 'host' ), lab.launchChromium( 'cust' ) ] );
		await stack.saveSettings( {
			zoom_enabled: false,
			jitsi_enabled: false,
			webrtc_enabled: true,
			default_platform: 'webrtc',
			require_authentication: false,
			password_required: true,
			waiting_room_enabled: true,
			// Recording (and its consent dialog) has its own test.
			auto_recording: false,
			// Nothing outside the lab: no public STUN; the TURN server of the lab's hub.
			webrtc_stun_servers: [],
			webrtc_turn_servers: [ turn.url ],
			webrtc_turn_secret: TURN_SECRET,
		} );
	}, 120_000 );
	afterAll( async () => {
		await lab?.destroy();
		await stack?.stop();
	} );

	it( 'takes the customer from the invitation through the waiting room; the provider admits them and both see each other', async () => {
		const b = await booking( 'Rosa' );
		const host = await providerPage();
		const errors: string[] = [];
		host.page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await host.page.goto( `${ stack.site.url }/?bkx_video_room=${ b.roomId }` );
		await joinFromPreflight( host.page );
		await expect.poll( async () => ( await roomStats( host.page ) ).phase, { timeout: 20_000 } ).toBe( 'joined' );

		// The customer clicks Join on the invitation's page and lands in the room page.
		const context = await customerBrowser.newContext( { locale: 'en-US' } );
		const customer = await context.newPage();
		customer.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await customer.goto( b.link );
		const join = customer.getByRole( 'button', { name: 'Join consultation' } );
		await expect.poll( () => customer.locator( '.wp-block-bookingx-video-join-button' ).getAttribute( 'data-state' ), { timeout: 20_000 } ).toBe( 'open' );
		await Promise.all( [ customer.waitForURL( /bkx_video_room=r_/ ), join.click() ] );
		// The personal token leaves the address bar of the room page too.
		await expect.poll( () => customer.url() ).not.toContain( 'bkx_vc' );
		await expect.poll( () => room( customer ).getByText( 'Browser: supported' ).isVisible(), { timeout: 20_000 } ).toBe( true );
		await joinFromPreflight( customer, b.password );
		await expect.poll( () => room( customer ).getByText( 'Waiting for the host to let you in' ).isVisible(), { timeout: 20_000 } ).toBe( true );

		await admitOrDeny( host.page, 'Admit', b.name );
		const customerSide = await decodes( customer );
		const hostSide = await decodes( host.page );
		expect( customerSide.peers ).toBe( 1 );
		expect( hostSide.peers ).toBe( 1 );
		// Peer to peer across the lab: host candidates on the bridge, no relay.
		expect( hostSide.pairs[ 0 ] ).toMatchObject( { local: 'host', remote: 'host' } );
		expect( hostSide.pairs[ 0 ]!.address ).toBe( lab.peers.host!.ip );

		// Chat arrives on the other side.
		await customer.getByRole( 'button', { name: 'Chat' } ).click();
		await room( customer ).getByLabel( 'Message' ).fill( 'Good morning, doctor' );
		await room( customer ).getByRole( 'button', { name: 'Send' } ).click();
		await host.page.getByRole( 'button', { name: /^Chat/ } ).click();
		await expect.poll( () => room( host.page ).getByText( 'Good morning, doctor' ).isVisible(), { timeout: 10_000 } ).toBe( true );

		// The whiteboard: the customer draws, the provider's board shows the stroke.
		await room( customer ).getByRole( 'button', { name: 'Whiteboard' } ).click();
		const canvas = room( customer ).locator( 'canvas' );
		const box = ( await canvas.boundingBox() )!;
		await customer.mouse.move( box.x + box.width * 0.2, box.y + box.height * 0.3 );
		await customer.mouse.down();
		for ( let i = 1; i <= 10; i++ ) {
			await customer.mouse.move( box.x + box.width * ( 0.2 + i * 0.05 ), box.y + box.height * ( 0.3 + i * 0.03 ) );
		}
		await customer.mouse.up();
		await room( host.page ).getByRole( 'button', { name: 'Whiteboard' } ).click();
		await expect.poll( () => host.page.evaluate( () => {
			const el = document.querySelector( '.wp-block-bookingx-video-meeting-room' ) as HTMLElement & { bkxRoom: { board: Array< { kind: string; points?: unknown[] } > } };
			return el.bkxRoom.board.filter( ( op ) => op.kind === 'stroke' ).reduce( ( n, op ) => n + ( op.points?.length ?? 0 ), 0 );
		} ), { timeout: 10_000 } ).toBeGreaterThan( 5 );
		const inked = await room( host.page ).locator( 'canvas' ).evaluate( ( c: HTMLCanvasElement ) => {
			const data = c.getContext( '2d' )!.getImageData( 0, 0, c.width, c.height ).data;
			let n = 0;
			for ( let i = 3; i < data.length; i += 4 ) {
				n += data[ i ]! > 0 ? 1 : 0;
			}
			return n;
		} );
		expect( inked ).toBeGreaterThan( 50 );
		// The provider keeps a picture of it: shared as a file, named in the session notes.
		await room( host.page ).getByRole( 'button', { name: 'Save to notes' } ).click();
		await expect.poll( () => room( host.page ).getByText( 'The whiteboard was saved to the session notes.' ).isVisible(), { timeout: 15_000 } ).toBe( true );
		const notesSql = `global $wpdb; echo (string) $wpdb->get_var( "SELECT n.notes FROM {$wpdb->prefix}bkx_video_session_notes n JOIN {$wpdb->prefix}bkx_video_consultations c ON c.id = n.consultation_id WHERE c.booking_id = ${ b.bookingId }" );`;
		await expect.poll( () => stack.site.php( notesSql ), { timeout: 15_000 } ).toMatch( /Whiteboard at .*: whiteboard-\d+\.png/ );

		// A screen share replaces the camera track on the same sender; the customer keeps decoding.
		const before = ( await roomStats( customer ) ).decoded[ 0 ]!;
		await host.page.getByRole( 'button', { name: 'Share screen' } ).click();
		await expect.poll( async () => ( await roomStats( host.page ) ).videoTrackLabels[ 0 ], { timeout: 10_000 } ).toMatch( /^screen:/ );
		await expect.poll( async () => ( await roomStats( customer ) ).decoded[ 0 ]! > before + 20, { timeout: 15_000 } ).toBe( true );
		await host.page.getByRole( 'button', { name: 'Stop sharing' } ).click();
		await expect.poll( async () => ( await roomStats( host.page ) ).videoTrackLabels[ 0 ], { timeout: 10_000 } ).not.toMatch( /^screen:/ );

		// Presence is the session: the provider and the customer are participants.
		const rows = JSON.parse( await stack.site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_col( "SELECT role FROM {$wpdb->prefix}bkx_video_participants p JOIN {$wpdb->prefix}bkx_video_consultations c ON c.id = p.consultation_id WHERE c.booking_id = ${ b.bookingId } ORDER BY role" ) );` ) ) as string[];
		expect( [ ...new Set( rows ) ] ).toEqual( [ 'host', 'participant' ] );
		expect( errors ).toEqual( [] );

		// The customer's link is cut: both sides lose media, then heal without a click.
		await lab.linkDown( 'cust' );
		await new Promise( ( r ) => setTimeout( r, 7000 ) );
		const cut = ( await roomStats( host.page ) ).decoded[ 0 ]!;
		await lab.linkUp( 'cust' );
		await expect.poll( async () => ( await roomStats( host.page ) ).decoded[ 0 ]! > cut + 30, { timeout: 40_000, interval: 1000 } ).toBe( true );
		const after = ( await roomStats( customer ) ).decoded[ 0 ]!;
		await expect.poll( async () => ( await roomStats( customer ) ).decoded[ 0 ]! > after + 30, { timeout: 20_000, interval: 1000 } ).toBe( true );
		expect( ( await roomStats( customer ) ).phase ).toBe( 'joined' );

		await host.context.close();
		await context.close();
	}, 180_000 );

	it( 'relays all media through TURN when the site forces it', async () => {
		await stack.saveSettings( { webrtc_force_relay: true } );
		try {
			const b = await booking( 'Theo' );
			const { host, customer, customerContext } = await bothIn( b );
			const side = await decodes( customer );
			expect( side.pairs[ 0 ] ).toMatchObject( { local: 'relay', remote: 'relay' } );
			await decodes( host.page );
			await host.context.close();
			await customerContext.close();
		} finally {
			await stack.saveSettings( { webrtc_force_relay: false } );
		}
	}, 120_000 );

	it( 'turns away a denied customer and a wrong password with clear messages', async () => {
		const b = await booking( 'Dora' );
		const host = await providerPage();
		await host.page.goto( `${ stack.site.url }/?bkx_video_room=${ b.roomId }` );
		await joinFromPreflight( host.page );
		const context = await customerBrowser.newContext( { locale: 'en-US' } );
		const customer = await context.newPage();
		await customer.goto( `${ stack.site.url }/?bkx_video_room=${ b.roomId }&bkx_vc=${ new URL( b.link ).searchParams.get( 'bkx_vc' ) }` );
		const wrong = b.password === '000000' ? '111111' : '000000';
		await joinFromPreflight( customer, wrong );
		await expect.poll( () => room( customer ).getByText( 'The meeting password is not right. Please check your invitation.' ).isVisible(), { timeout: 15_000 } ).toBe( true );
		await joinFromPreflight( customer, b.password );
		await admitOrDeny( host.page, 'Deny', b.name );
		await expect.poll( () => room( customer ).getByText( 'The host did not let you in to this consultation.' ).isVisible(), { timeout: 15_000 } ).toBe( true );
		await host.context.close();
		await context.close();
	}, 90_000 );

	it( 'gives no room ticket to the customer of another booking', async () => {
		const a = await booking( 'Anna' );
		const other = await booking( 'Otto' );
		const token = new URL( other.link ).searchParams.get( 'bkx_vc' );
		const res = await stack.site.rest( `/bookingx/v1/video/rooms/${ a.roomId }/ticket?bkx_vc=${ token }`, { method: 'POST', as: 'guest' } );
		expect( [ 401, 403 ] ).toContain( res.status );
		expect( JSON.stringify( res.json ) ).not.toContain( '"token"' );
		const own = await stack.site.rest( `/bookingx/v1/video/rooms/${ other.roomId }/ticket?bkx_vc=${ token }`, { method: 'POST', as: 'guest' } );
		expect( own.status ).toBe( 200 );
		expect( own.json.room.role ).toBe( 'participant' );
	} );
} );

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
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { netnsSupport, type NetLab } from '../src/netns';
import { admitOrDeny, booking, decodes, joinFromPreflight, providerPage, room, roomStats, roomUrl, startRoomLab, type RoomBooking } from '../src/room';
import type { Stack } from '../src/stack';

const TURN_SECRET = 'room-turn-secret-0123456789';
const support = netnsSupport();

let stack: Stack;
let lab: NetLab;
let hostBrowser: Browser;
let customerBrowser: Browser;

/** Host in, customer in through the waiting room; returns both pages. */
async function bothIn( b: RoomBooking ) {
	const host = await providerPage( stack, hostBrowser );
	await host.page.goto( roomUrl( stack, b.roomId ) );
	await joinFromPreflight( host.page );
	await expect.poll( async () => ( await roomStats( host.page ) ).phase, { timeout: 20_000 } ).toBe( 'joined' );

	const customerContext = await customerBrowser.newContext( { locale: 'en-US' } );
	const customer = await customerContext.newPage();
	await customer.goto( roomUrl( stack, b.roomId, b.token ) );
	await joinFromPreflight( customer, b.password );
	await expect.poll( async () => ( await roomStats( customer ) ).phase, { timeout: 20_000 } ).toBe( 'waiting' );
	await admitOrDeny( host.page, 'Admit', b.name );
	await expect.poll( async () => ( await roomStats( customer ) ).phase, { timeout: 20_000 } ).toBe( 'joined' );
	return { host, customer, customerContext };
}

describe.skipIf( ! support.ok )( 'the built-in room', () => {
	beforeAll( async () => {
		let browsers: Record< 'host' | 'cust', Browser >;
		( { stack, lab, browsers } = await startRoomLab( {
			// Nothing outside the lab: no public STUN (ROOM_SETTINGS); the TURN server of the lab's hub.
			turnSecret: TURN_SECRET,
		} ) );
		( { host: hostBrowser, cust: customerBrowser } = browsers );
	}, 120_000 );
	afterAll( async () => {
		await lab?.destroy();
		await stack?.stop();
	} );

	it( 'takes the customer from the invitation through the waiting room; the provider admits them and both see each other', async () => {
		const b = await booking( stack, 'Rosa' );
		const host = await providerPage( stack, hostBrowser );
		const errors: string[] = [];
		host.page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await host.page.goto( roomUrl( stack, b.roomId ) );
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
			const b = await booking( stack, 'Theo' );
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
		const b = await booking( stack, 'Dora' );
		const host = await providerPage( stack, hostBrowser );
		await host.page.goto( roomUrl( stack, b.roomId ) );
		await joinFromPreflight( host.page );
		const context = await customerBrowser.newContext( { locale: 'en-US' } );
		const customer = await context.newPage();
		await customer.goto( roomUrl( stack, b.roomId, b.token ) );
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
		const a = await booking( stack, 'Anna' );
		const other = await booking( stack, 'Otto' );
		const res = await stack.site.rest( `/bookingx/v1/video/rooms/${ a.roomId }/ticket?bkx_vc=${ other.token }`, { method: 'POST', as: 'guest' } );
		expect( [ 401, 403 ] ).toContain( res.status );
		expect( JSON.stringify( res.json ) ).not.toContain( '"token"' );
		const own = await stack.site.rest( `/bookingx/v1/video/rooms/${ other.roomId }/ticket?bkx_vc=${ other.token }`, { method: 'POST', as: 'guest' } );
		expect( own.status ).toBe( 200 );
		expect( own.json.room.role ).toBe( 'participant' );
	} );
} );

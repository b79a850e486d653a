/**
 * In the room (issue 6), in real Chromium: the provider's session notes survive a reload (autosave
 * to REST, read back when the provider rejoins), and a file the customer shares from the chat
 * arrives on the provider's side, who downloads the same bytes through its signed link.
 *
 * Same lab as meeting-room.test.ts: each person's browser in a network namespace of its own,
 * WordPress and the sidecar in the root namespace reached through the lab's forwards.
 */
import { readFile } from 'node:fs/promises';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNetLab, netnsSupport, type NetLab } from '../src/netns';
import { invitationLink, siteLocal, startStack, type Stack } from '../src/stack';

const SITE_TZ = 'Europe/Berlin';
const support = netnsSupport();
/** A 1×1 PNG. */
const PNG = Buffer.from( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64' );

let stack: Stack;
let lab: NetLab;
let hostBrowser: Browser;
let customerBrowser: Browser;
let next = 0;

const room = ( page: Page ) => page.locator( '.wp-block-bookingx-video-meeting-room' );

async function phase( page: Page ): Promise< string > {
	return page.evaluate( () => {
		const element = document.querySelector( '.wp-block-bookingx-video-meeting-room' ) as HTMLElement & { bkxRoom?: { phase: string } };
		return element?.bkxRoom?.phase ?? 'none';
	} );
}

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
	return { id: Number( row.id ), name: `${ first } Patient`, roomId: row.meeting_id, password: row.meeting_password, link: invitationLink( site, email ) };
}

async function providerPage(): Promise< { context: BrowserContext; page: Page } > {
	const session = await stack.site.login( 'provider' );
	const context = await hostBrowser.newContext( { locale: 'en-US', acceptDownloads: true } );
	await context.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: stack.site.url } ) ) );
	return { context, page: await context.newPage() };
}

async function joinFromPreflight( page: Page, password?: string ) {
	const join = room( page ).getByRole( 'button', { name: 'Join consultation' } );
	try {
		await expect.poll( () => join.isEnabled(), { timeout: 20_000 } ).toBe( true );
	} catch ( error ) {
		// Say what the preflight shows instead of only "not enabled".
		throw new Error( `Join stayed disabled; the room says: ${ await room( page ).innerText() }`, { cause: error } );
	}
	if ( password !== undefined ) {
		await room( page ).getByLabel( 'Meeting password' ).fill( password );
	}
	await join.click();
	await expect.poll( () => phase( page ), { timeout: 20_000 } ).toMatch( /^(joined|waiting)$/ );
}

describe.skipIf( ! support.ok )( 'in the room: notes and files', () => {
	beforeAll( async () => {
		stack = await startStack( { timezone: SITE_TZ, configureJitsi: false } );
		lab = await createNetLab( { peers: [ 'host', 'cust' ] } );
		const sitePort = Number( new URL( stack.site.url ).port );
		for ( const peer of [ 'host', 'cust' ] ) {
			await lab.forward( peer, sitePort );
			await lab.forward( peer, stack.sidecar.port );
		}
		[ hostBrowser, customerBrowser ] = await Promise.all( [ lab.launchChromium( 'host' ), lab.launchChromium( 'cust' ) ] );
		await stack.saveSettings( {
			zoom_enabled: false,
			jitsi_enabled: false,
			webrtc_enabled: true,
			default_platform: 'webrtc',
			require_authentication: false,
			password_required: true,
			waiting_room_enabled: true,
			enable_chat: true,
			// Not this file's subject: no recording consent dialog over the room.
			auto_recording: false,
			max_upload_size: 2,
			// Media stays inside the lab (host candidates on its bridge); no STUN needed.
			webrtc_stun_servers: [],
		} );
	}, 120_000 );
	afterAll( async () => {
		await lab?.destroy();
		await stack?.stop();
	} );

	it( 'keeps the provider\'s notes across a reload; the customer shares a PNG that the provider downloads byte for byte', async () => {
		const b = await booking( 'Nora' );
		const errors: string[] = [];
		const host = await providerPage();
		host.page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await host.page.goto( `${ stack.site.url }/?bkx_video_room=${ b.roomId }` );
		await joinFromPreflight( host.page );

		// Notes: typed, saved by themselves (1 s after typing stops), status in the live region.
		const text = 'Sore throat for 3 days.\nIbuprofen 400 mg, review in a week.';
		await room( host.page ).getByRole( 'button', { name: 'Notes', exact: true } ).click();
		const notes = room( host.page ).getByLabel( 'Notes (only you can see them)' );
		await expect.poll( () => notes.isEnabled(), { timeout: 10_000 } ).toBe( true );
		await notes.fill( text );
		const status = room( host.page ).locator( '.bkx-room__notes-status' );
		await expect.poll( () => status.textContent(), { timeout: 10_000 } ).toBe( 'Saved' );
		const stored = await stack.site.php( `global $wpdb; echo $wpdb->get_var( $wpdb->prepare( "SELECT notes FROM {$wpdb->prefix}bkx_video_session_notes WHERE consultation_id = %d", ${ b.id } ) );` );
		expect( stored ).toBe( text );

		// A reload: the provider rejoins and finds them.
		await host.page.reload();
		await joinFromPreflight( host.page );
		await room( host.page ).getByRole( 'button', { name: 'Notes', exact: true } ).click();
		await expect.poll( () => room( host.page ).getByLabel( 'Notes (only you can see them)' ).inputValue(), { timeout: 10_000 } ).toBe( text );
		// Closed again, so the people list opens by itself when someone knocks.
		await room( host.page ).getByRole( 'button', { name: 'Notes', exact: true } ).click();

		// The customer comes in through the waiting room.
		const customerContext = await customerBrowser.newContext( { locale: 'en-US' } );
		const customer = await customerContext.newPage();
		customer.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await customer.goto( `${ stack.site.url }/?bkx_video_room=${ b.roomId }&bkx_vc=${ new URL( b.link ).searchParams.get( 'bkx_vc' ) }` );
		await joinFromPreflight( customer, b.password );
		await expect.poll( () => room( host.page ).getByRole( 'button', { name: `Admit ${ b.name }` } ).isVisible(), { timeout: 20_000 } ).toBe( true );
		await room( host.page ).getByRole( 'button', { name: `Admit ${ b.name }` } ).click();
		await expect.poll( () => phase( customer ), { timeout: 20_000 } ).toBe( 'joined' );
		// Customers have no Notes.
		expect( await room( customer ).getByRole( 'button', { name: 'Notes', exact: true } ).isVisible() ).toBe( false );

		// The customer shares a file from the chat (the file chooser behind "Share a file").
		await room( customer ).getByRole( 'button', { name: /^Chat/ } ).click();
		const [ chooser ] = await Promise.all( [ customer.waitForEvent( 'filechooser' ), room( customer ).getByRole( 'button', { name: 'Share a file' } ).click() ] );
		await chooser.setFiles( { name: 'throat.png', mimeType: 'image/png', buffer: PNG } );
		const ownCopy = room( customer ).getByRole( 'button', { name: /^Download throat\.png/ } );
		await expect.poll( () => ownCopy.isVisible(), { timeout: 15_000 } ).toBe( true );

		// The provider sees it arrive in the chat and downloads it.
		await room( host.page ).getByRole( 'button', { name: /^Chat/ } ).click();
		const item = room( host.page ).getByRole( 'button', { name: /^Download throat\.png/ } );
		await expect.poll( () => item.isVisible(), { timeout: 15_000 } ).toBe( true );
		const [ download ] = await Promise.all( [ host.page.waitForEvent( 'download', { timeout: 15_000 } ), item.click() ] );
		expect( download.suggestedFilename() ).toBe( 'throat.png' );
		const bytes = await readFile( ( await download.path() )! );
		expect( bytes.equals( PNG ) ).toBe( true );

		// A file that is not what it says (an executable named .png) is refused with a clear message.
		const [ chooser2 ] = await Promise.all( [ customer.waitForEvent( 'filechooser' ), room( customer ).getByRole( 'button', { name: 'Share a file' } ).click() ] );
		await chooser2.setFiles( { name: 'setup.png', mimeType: 'image/png', buffer: Buffer.concat( [ Buffer.from( 'MZ\x90\x00', 'latin1' ), Buffer.alloc( 100 ) ] ) } );
		await expect.poll( () => room( customer ).getByText( /setup\.png: This type of file cannot be shared here/ ).isVisible(), { timeout: 15_000 } ).toBe( true );

		expect( errors ).toEqual( [] );
		await host.context.close();
		await customerContext.close();
	}, 180_000 );
} );

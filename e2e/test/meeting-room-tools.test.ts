/**
 * In the room (issue 6), in real Chromium: the provider's session notes survive a reload (autosave
 * to REST, read back when the provider rejoins), and a file the customer shares from the chat
 * arrives on the provider's side, who downloads the same bytes through its signed link.
 *
 * Same lab as meeting-room.test.ts: each person's browser in a network namespace of its own,
 * WordPress and the sidecar in the root namespace reached through the lab's forwards.
 */
import { readFile } from 'node:fs/promises';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { netnsSupport, type NetLab } from '../src/netns';
import { admitOrDeny, booking, joinFromPreflight, providerPage, room, roomStats, roomUrl, startRoomLab } from '../src/room';
import type { Stack } from '../src/stack';

const support = netnsSupport();
/** A 1×1 PNG. */
const PNG = Buffer.from( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64' );

let stack: Stack;
let lab: NetLab;
let hostBrowser: Browser;
let customerBrowser: Browser;

const phase = async ( page: Page ) => ( await roomStats( page ) ).phase;

/** The preflight's Join, then in: joined, or waiting to be let in. */
async function join( page: Page, password?: string ) {
	await joinFromPreflight( page, password );
	await expect.poll( () => phase( page ), { timeout: 20_000 } ).toMatch( /^(joined|waiting)$/ );
}

describe.skipIf( ! support.ok )( 'in the room: notes and files', () => {
	beforeAll( async () => {
		let browsers: Record< 'host' | 'cust', Browser >;
		( { stack, lab, browsers } = await startRoomLab( {
			settings: { enable_chat: true, max_upload_size: 2 },
		} ) );
		( { host: hostBrowser, cust: customerBrowser } = browsers );
	}, 120_000 );
	afterAll( async () => {
		await lab?.destroy();
		await stack?.stop();
	} );

	it( 'keeps the provider\'s notes across a reload; the customer shares a PNG that the provider downloads byte for byte', async () => {
		const b = await booking( stack, 'Nora' );
		const errors: string[] = [];
		const host = await providerPage( stack, hostBrowser, { acceptDownloads: true } );
		host.page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await host.page.goto( roomUrl( stack, b.roomId ) );
		await join( host.page );

		// Notes: typed, saved by themselves (1 s after typing stops), status in the live region.
		const text = 'Sore throat for 3 days.\nIbuprofen 400 mg, review in a week.';
		await room( host.page ).getByRole( 'button', { name: 'Notes', exact: true } ).click();
		const notes = room( host.page ).getByLabel( 'Notes (only you can see them)' );
		await expect.poll( () => notes.isEnabled(), { timeout: 10_000 } ).toBe( true );
		await notes.fill( text );
		const status = room( host.page ).locator( '.bkx-room__notes-status' );
		await expect.poll( () => status.textContent(), { timeout: 10_000 } ).toBe( 'Saved' );
		const stored = await stack.site.php( `global $wpdb; echo $wpdb->get_var( $wpdb->prepare( "SELECT notes FROM {$wpdb->prefix}bkx_video_session_notes WHERE consultation_id = %d", ${ b.consultationId } ) );` );
		expect( stored ).toBe( text );

		// A reload: the provider rejoins and finds them.
		await host.page.reload();
		await join( host.page );
		await room( host.page ).getByRole( 'button', { name: 'Notes', exact: true } ).click();
		await expect.poll( () => room( host.page ).getByLabel( 'Notes (only you can see them)' ).inputValue(), { timeout: 10_000 } ).toBe( text );
		// Closed again, so the people list opens by itself when someone knocks.
		await room( host.page ).getByRole( 'button', { name: 'Notes', exact: true } ).click();

		// The customer comes in through the waiting room.
		const customerContext = await customerBrowser.newContext( { locale: 'en-US' } );
		const customer = await customerContext.newPage();
		customer.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await customer.goto( roomUrl( stack, b.roomId, b.token ) );
		await join( customer, b.password );
		await admitOrDeny( host.page, 'Admit', b.name );
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

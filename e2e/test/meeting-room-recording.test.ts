/**
 * Recording in the built-in room (issue 6), in real Chromium: the provider and the customer each in
 * a browser of their own network namespace (e2e/src/netns.ts), as in meeting-room.test.ts.
 *
 * The provider clicks Record → the customer is asked (an accessible dialog) and allows it → both
 * see "Recording" → a few seconds of the room are recorded by the provider's browser
 * (MediaRecorder, VP8/Opus WebM) and uploaded in chunks to the sidecar → the provider stops → the
 * recording becomes `available` in the provider's list, and its signed link serves an MP4
 * (H.264) of at least 3 s, with Range.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { netnsSupport, type NetLab } from '../src/netns';
import { booking, decodes, joinFromPreflight, providerPage, room, ROOM_SELECTOR, roomStats, roomUrl, startRoomLab, type RoomBooking } from '../src/room';
import type { Stack } from '../src/stack';

const support = netnsSupport();

let stack: Stack;
let lab: NetLab;
let hostBrowser: Browser;
let customerBrowser: Browser;
let work: string;

/** The room client's view of the recording, read in the page. */
async function recordingState( page: Page ) {
	return page.evaluate( ( selector ) => {
		const element = document.querySelector( selector ) as HTMLElement & { bkxRoom?: any };
		const client = element?.bkxRoom;
		if ( ! client ) {
			return { recording: false, take: null as null | { state: string } };
		}
		return { recording: Boolean( client.recording ), take: client.recordingTake as null | { state: string } };
	}, ROOM_SELECTOR );
}

async function bothIn( b: RoomBooking ): Promise< { host: Page; customer: Page; contexts: BrowserContext[] } > {
	const { context: hostContext, page: host } = await providerPage( stack, hostBrowser );
	await host.goto( roomUrl( stack, b.roomId ) );
	await joinFromPreflight( host );
	await expect.poll( async () => ( await roomStats( host ) ).phase, { timeout: 20_000 } ).toBe( 'joined' );

	// The customer comes with their personal link (as the invitation carries it).
	const customerContext = await customerBrowser.newContext( { locale: 'en-US' } );
	const customer = await customerContext.newPage();
	await customer.goto( roomUrl( stack, b.roomId, b.token ) );
	await joinFromPreflight( customer );
	await expect.poll( async () => ( await roomStats( customer ) ).phase, { timeout: 20_000 } ).toBe( 'joined' );
	for ( const page of [ host, customer ] ) {
		await decodes( page );
	}
	return { host, customer, contexts: [ hostContext, customerContext ] };
}

describe.skipIf( ! support.ok )( 'recording in the built-in room', () => {
	beforeAll( async () => {
		work = mkdtempSync( join( tmpdir(), 'bkx-e2e-room-rec-' ) );
		let browsers: Record< 'host' | 'cust', Browser >;
		( { stack, lab, browsers } = await startRoomLab( {
			settings: {
				password_required: false,
				waiting_room_enabled: false,
				// The provider starts it by hand here (on, the room would ask everyone at once).
				auto_recording: false,
				recording_type: 'cloud',
			},
		} ) );
		( { host: hostBrowser, cust: customerBrowser } = browsers );
	}, 120_000 );
	afterAll( async () => {
		await lab?.destroy();
		await stack?.stop();
		if ( work ) {
			rmSync( work, { recursive: true, force: true } );
		}
	} );

	it( 'a recording made in the room becomes a playable recording of the consultation, after everyone consented', async () => {
		const b = await booking( stack, 'Mira' );
		const { host, customer, contexts } = await bothIn( b );
		const errors: string[] = [];
		for ( const page of [ host, customer ] ) {
			page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		}
		// Only the provider has the button; nobody is recorded yet.
		await expect.poll( () => room( customer ).getByRole( 'button', { name: 'Record' } ).count() ).toBe( 0 );
		await room( host ).getByRole( 'button', { name: 'Record' } ).click();

		// The customer is asked in a modal dialog; until they answer nothing is recorded.
		const dialog = customer.getByRole( 'dialog', { name: 'The host wants to record this consultation' } );
		await expect.poll( () => dialog.isVisible(), { timeout: 10_000 } ).toBe( true );
		expect( await dialog.getAttribute( 'aria-modal' ) ).toBe( 'true' );
		expect( await customer.evaluate( () => ( document.activeElement as HTMLElement | null )?.textContent ) ).toBe( 'Allow recording' );
		await expect.poll( () => room( host ).getByText( 'Recording paused: waiting for consent' ).isVisible(), { timeout: 10_000 } ).toBe( true );
		expect( ( await recordingState( host ) ).recording ).toBe( false );
		await dialog.getByRole( 'button', { name: 'Allow recording' } ).click();

		// Both see it is on.
		for ( const page of [ host, customer ] ) {
			await expect.poll( async () => ( await recordingState( page ) ).recording, { timeout: 10_000 } ).toBe( true );
			await expect.poll( () => room( page ).locator( '.bkx-room__badge' ).textContent() ).toBe( 'Recording' );
		}
		expect( await dialog.isVisible() ).toBe( false );
		// The provider sees parts being saved as they go.
		await expect.poll( () => room( host ).locator( '.bkx-room__recording-status' ).textContent(), { timeout: 15_000 } ).toMatch( /Recording: [1-9]\d* of \d+ parts saved/ );
		await new Promise( ( r ) => setTimeout( r, 5000 ) );

		await room( host ).getByRole( 'button', { name: 'Stop recording' } ).click();
		await expect.poll( async () => ( await recordingState( customer ) ).take, { timeout: 10_000 } ).toBeNull();
		await expect.poll( () => room( host ).locator( '.bkx-room__recording-status' ).textContent(), { timeout: 30_000 } ).toMatch( /Recording saved/ );

		// Processed by the sidecar: available in the provider's list.
		let recording: Record< string, any > | undefined;
		try {
			// A re-encode of the room's VP8 on a 2-core box shared with two browsers: allow for a slow one.
			await expect.poll( async () => {
				const list = await stack.site.rest( '/bookingx/v1/video/recordings', { as: 'provider', query: { consultation_id: b.consultationId } } );
				recording = ( list.json.recordings as Array< Record< string, any > > )?.[ 0 ];
				return recording?.status;
			}, { timeout: 240_000, interval: 2000 } ).toBe( 'available' );
		} catch ( error ) {
			throw new Error( `${ ( error as Error ).message }\nSidecar log:\n${ stack.sidecar.logs().slice( -6000 ) }` );
		}
		expect( recording ).toMatchObject( { consultation_id: b.consultationId, mime_type: 'video/mp4', error: null } );
		if ( process.env.BKX_E2E_DEBUG ) {
			console.log( stack.sidecar.logs().split( '\n' ).filter( ( l ) => /recording/.test( l ) ).join( '\n' ) );
		}

		const link = await stack.site.rest( `/bookingx/v1/video/recordings/${ recording!.id }/link`, { as: 'provider', method: 'POST', body: { kind: 'video' } } );
		expect( link.status ).toBe( 200 );
		const url = link.json.url as string;
		const part = await fetch( url, { headers: { Range: 'bytes=0-99' } } );
		expect( part.status ).toBe( 206 );
		const whole = Buffer.from( await ( await fetch( url ) ).arrayBuffer() );
		const file = join( work, 'room.mp4' );
		writeFileSync( file, whole );
		const probe = JSON.parse( execFileSync( 'ffprobe', [ '-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file ] ).toString() ) as { streams: Array< { codec_type: string; codec_name: string } >; format: { duration: string } };
		expect( probe.streams.find( ( s ) => s.codec_type === 'video' )?.codec_name ).toBe( 'h264' );
		expect( Number( probe.format.duration ) ).toBeGreaterThanOrEqual( 3 );

		// Who agreed, and when, is kept with the consultation.
		const consents = JSON.parse( await stack.site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_col( "SELECT role FROM {$wpdb->prefix}bkx_video_recording_consents WHERE consultation_id = ${ b.consultationId } ORDER BY id" ) );` ) ) as string[];
		expect( consents ).toEqual( [ 'host', 'participant' ] );
		expect( errors ).toEqual( [] );
		for ( const c of contexts ) {
			await c.close();
		}
	}, 420_000 );
} );

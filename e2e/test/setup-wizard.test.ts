/**
 * The setup wizard in Chromium, end to end: the admin screen (WordPress 6.1's own React and
 * components) → the plugin's platforms proxy → the sidecar's checks → the Zoom fake. A fresh site
 * has no platform set up, so the screen offers the wizard; the admin types the Zoom app's
 * credentials, checks the connection, has a test meeting made and deleted on Zoom, turns Zoom on,
 * and then sees a wrong client secret explained in plain words. Then Google Meet as far as the
 * Google fake goes: consent by redirect (the fake's consent page sends the browser back with a
 * code), the exchange, the checks, and disconnecting.
 */
import type { Browser, Page } from 'playwright-core';
import { startGoogleFake, type GoogleFake } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser } from '../src/browser';
import { ZOOM_E2E, startStack, type Stack } from '../src/stack';

let stack: Stack;
let google: GoogleFake;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const GOOGLE = { clientId: 'e2e-google-client.apps.googleusercontent.com', clientSecret: 'e2e-google-secret-0123456789', user: { email: 'owner@example.test', sub: '109876543210000000001' } };

beforeAll( async () => {
	google = await startGoogleFake( GOOGLE );
	const sidecarEnv = {
		BKX_VIDEO_GOOGLE_OAUTH_URL: google.authUrl,
		BKX_VIDEO_GOOGLE_TOKEN_URL: google.tokenUrl,
		BKX_VIDEO_GOOGLE_REVOKE_URL: google.revokeUrl,
		BKX_VIDEO_GOOGLE_CALENDAR_URL: google.calendarBase,
	};
	[ stack, browser ] = await Promise.all( [ startStack( { zoom: true, configureJitsi: false, sidecarEnv } ), launchBrowser() ] );
	// Google sends the browser back to the admin screen (the sidecar's default redirect URI).
	google.setKnobs( { redirectUris: [ `${ stack.site.url }/wp-admin/admin.php?page=bkx-video&bkx_video_oauth=meet` ] } );
	const session = await stack.site.login( 'admin' );
	const context = await browser.newContext();
	await context.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: stack.site.url } ) ) );
	page = await context.newPage();
	page.on( 'pageerror', ( e ) => pageErrors.push( e.message ) );
	page.on( 'dialog', ( d ) => void d.accept() );
} );
afterAll( async () => {
	await browser?.close();
	await stack?.stop();
	await google?.close();
} );

const zoom = () => {
	if ( ! stack.zoom ) {
		throw new Error( 'The stack was started without the Zoom fake.' );
	}
	return stack.zoom;
};
const admin = () => page.locator( '#bkx-video-admin' );
const result = () => page.locator( '.bkx-video-wizard__result[aria-live="polite"]' );
const stepHeading = () => page.locator( '.bkx-video-wizard h3' ).innerText();

describe( 'setup wizard (Zoom)', () => {
	it( 'is offered when no platform is set up', async () => {
		await page.goto( `${ stack.site.url }/wp-admin/admin.php?page=bkx-video` );
		await expect.poll( () => admin().innerText(), { timeout: 15_000 } ).toMatch( /No video platform is set up yet/ );
		await page.getByRole( 'button', { name: 'Start the setup wizard' } ).click();
		await page.getByRole( 'heading', { name: 'Setup wizard' } ).waitFor();
		await page.getByRole( 'radio', { name: 'Zoom' } ).check();
		await page.getByRole( 'button', { name: 'Continue' } ).click();
		expect( await stepHeading() ).toBe( 'Step 1 of 4: Enter the credentials' );
	} );

	it( 'saves the credentials with the settings save; the secret is write-only', async () => {
		await page.getByLabel( 'Zoom account ID' ).fill( ZOOM_E2E.accountId );
		await page.getByLabel( 'Zoom client ID' ).fill( ZOOM_E2E.clientId );
		await page.getByLabel( 'Zoom client secret' ).fill( ZOOM_E2E.clientSecret );
		await page.getByLabel( 'Zoom host user' ).fill( ZOOM_E2E.user );
		await page.getByRole( 'button', { name: 'Save and continue' } ).click();
		await expect.poll( stepHeading, { timeout: 15_000 } ).toBe( 'Step 2 of 4: Check the connection' );

		const saved = await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } );
		expect( saved.json.settings ).toMatchObject( { zoom_account_id: ZOOM_E2E.accountId, zoom_client_id: ZOOM_E2E.clientId, zoom_user_id: ZOOM_E2E.user } );
		expect( saved.json.secrets.zoom_client_secret ).toEqual( { is_set: true, tail: ZOOM_E2E.clientSecret.slice( -4 ) } );
		expect( JSON.stringify( saved.json ) ).not.toContain( ZOOM_E2E.clientSecret );
	} );

	it( 'checks the connection through the plugin and the sidecar', async () => {
		const tokensBefore = zoom().requests.filter( ( r ) => r.path === '/oauth/token' ).length;
		await page.getByRole( 'button', { name: 'Check connection' } ).click();
		await expect.poll( () => result().innerText(), { timeout: 20_000 } ).toMatch( /The connection works\./ );
		expect( await result().innerText() ).toMatch( /Zoom accepted the account ID, client ID and client secret, and the host user provider@example\.test is on this Zoom account/ );
		expect( zoom().requests.filter( ( r ) => r.path === '/oauth/token' ).length ).toBe( tokensBefore + 1 );
		expect( zoom().requests.some( ( r ) => r.method === 'GET' && /^\/v2\/users\/provider(%40|@)example\.test$/.test( r.path ) ) ).toBe( true );
		// The secret never reaches the page.
		expect( await page.content() ).not.toContain( ZOOM_E2E.clientSecret );
	} );

	it( 'creates a test meeting on Zoom and deletes it again', async () => {
		await page.getByRole( 'button', { name: 'Next' } ).click();
		expect( await stepHeading() ).toBe( 'Step 3 of 4: Create and delete a test meeting' );
		await page.getByRole( 'button', { name: 'Create and delete a test meeting' } ).click();
		await expect.poll( () => result().innerText(), { timeout: 20_000 } ).toMatch( /The test meeting was created and deleted\./ );

		const created = zoom().requests.filter( ( r ) => r.method === 'POST' && /^\/v2\/users\/[^/]+\/meetings$/.test( r.path ) );
		expect( created ).toHaveLength( 1 );
		expect( JSON.parse( String( created[ 0 ]?.body ) ).topic ).toBe( 'BookingX test meeting — safe to delete' );
		const deleted = zoom().requests.filter( ( r ) => r.method === 'DELETE' && /^\/v2\/meetings\/\d+$/.test( r.path ) );
		expect( deleted ).toHaveLength( 1 );
		expect( deleted[ 0 ]?.status ).toBe( 204 );
		expect( zoom().meetings.size ).toBe( 0 );
	} );

	it( 'turns Zoom on as the default platform when done', async () => {
		await page.getByRole( 'button', { name: 'Next' } ).click();
		expect( await stepHeading() ).toBe( 'Step 4 of 4: Done' );
		await page.getByRole( 'button', { name: 'Use Zoom for video consultations' } ).click();
		await expect.poll( () => admin().innerText(), { timeout: 15_000 } ).toMatch( /Zoom is on and the default/ );
		const saved = await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } );
		expect( saved.json.settings ).toMatchObject( { zoom_enabled: true, default_platform: 'zoom' } );
	} );

	it( 'explains a wrong client secret in plain words and keeps what was typed', async () => {
		for ( let i = 0; i < 3; i++ ) {
			await page.getByRole( 'button', { name: 'Back', exact: true } ).click();
		}
		expect( await stepHeading() ).toBe( 'Step 1 of 4: Enter the credentials' );
		expect( await admin().innerText() ).toMatch( /Saved \(ends in/ );
		await page.getByRole( 'textbox', { name: 'Zoom client secret' } ).fill( 'typo-in-the-zoom-secret' );
		await page.getByRole( 'button', { name: 'Save and continue' } ).click();
		await expect.poll( stepHeading, { timeout: 15_000 } ).toBe( 'Step 2 of 4: Check the connection' );

		await page.getByRole( 'button', { name: 'Check connection' } ).click();
		await expect.poll( () => result().innerText(), { timeout: 20_000 } ).toMatch( /The connection check failed\./ );
		const text = await result().innerText();
		expect( text ).toMatch( /Zoom refused the client ID or client secret\. Copy them again from your Server-to-Server OAuth app in the Zoom App Marketplace\./ );
		expect( text ).not.toContain( 'typo-in-the-zoom-secret' );
		expect( await page.getByRole( 'button', { name: 'Next' } ).isDisabled() ).toBe( true );

		// The failed check changed nothing: the credentials step still has everything else.
		await page.getByRole( 'button', { name: 'Back', exact: true } ).click();
		expect( await page.getByLabel( 'Zoom account ID' ).inputValue() ).toBe( ZOOM_E2E.accountId );
		expect( await page.getByLabel( 'Zoom host user' ).inputValue() ).toBe( ZOOM_E2E.user );
		expect( pageErrors ).toEqual( [] );
	} );
} );

describe( 'setup wizard (Google Meet, as far as the Google fake goes)', () => {
	it( 'connects a Google account by consent and removes the code from the address bar', async () => {
		await page.goto( `${ stack.site.url }/wp-admin/admin.php?page=bkx-video` );
		await page.getByRole( 'button', { name: 'Setup wizard' } ).click();
		await page.getByRole( 'radio', { name: 'Google Meet' } ).check();
		await page.getByRole( 'button', { name: 'Continue' } ).click();
		await page.getByLabel( 'Google client ID' ).fill( GOOGLE.clientId );
		await page.getByRole( 'textbox', { name: 'Google client secret' } ).fill( GOOGLE.clientSecret );
		await page.getByRole( 'button', { name: 'Save and continue' } ).click();
		await expect.poll( stepHeading, { timeout: 15_000 } ).toBe( 'Step 2 of 5: Connect a Google account' );
		await expect.poll( () => admin().innerText(), { timeout: 15_000 } ).toMatch( /No Google account is connected\./ );

		// To Google's consent page (the fake allows) and back with ?bkx_video_oauth=meet&code=…&state=….
		await Promise.all( [
			page.waitForURL( /bkx_video_oauth=meet&.*code=/, { timeout: 15_000 } ),
			page.getByRole( 'button', { name: 'Connect Google account' } ).click(),
		] );
		await expect.poll( () => result().innerText(), { timeout: 20_000 } ).toMatch( /Google account connected: owner@example\.test\./ );
		expect( page.url() ).toBe( `${ stack.site.url }/wp-admin/admin.php?page=bkx-video` );
		expect( await admin().innerText() ).toMatch( /Connected: owner@example\.test/ );
		expect( google.requests.some( ( r ) => r.method === 'POST' && r.path === '/token' ) ).toBe( true );
		expect( await page.content() ).not.toContain( GOOGLE.clientSecret );
	} );

	it( 'checks the connection and makes and deletes a test event with a Meet link', async () => {
		await page.getByRole( 'button', { name: 'Next' } ).click();
		await page.getByRole( 'button', { name: 'Check connection' } ).click();
		await expect.poll( () => result().innerText(), { timeout: 20_000 } ).toMatch( /The connection works\./ );
		expect( await result().innerText() ).toMatch( /Google accepted the connection of owner@example\.test/ );

		await page.getByRole( 'button', { name: 'Next' } ).click();
		await page.getByRole( 'button', { name: 'Create and delete a test meeting' } ).click();
		await expect.poll( () => result().innerText(), { timeout: 30_000 } ).toMatch( /The test meeting was (created and deleted|failed)\./ );
		expect( await result().innerText() ).toMatch( /The test meeting was created and deleted\./ );
		expect( google.requests.some( ( r ) => r.method === 'POST' && /\/events$/.test( r.path ) ) ).toBe( true );
		expect( google.requests.some( ( r ) => r.method === 'DELETE' && /\/events\/[^/]+$/.test( r.path ) ) ).toBe( true );
	} );

	it( 'disconnects the Google account', async () => {
		await page.getByRole( 'button', { name: 'Back', exact: true } ).click();
		await page.getByRole( 'button', { name: 'Back', exact: true } ).click();
		expect( await stepHeading() ).toBe( 'Step 2 of 5: Connect a Google account' );
		await page.getByRole( 'button', { name: 'Disconnect' } ).click();
		await expect.poll( () => admin().innerText(), { timeout: 15_000 } ).toMatch( /The Google account was disconnected\./ );
		expect( await admin().innerText() ).toMatch( /No Google account is connected\./ );
		const status = await stack.site.rest( '/bookingx/v1/video/platforms/meet/oauth', { as: 'admin' } );
		expect( status.json ).toMatchObject( { connected: false } );
		expect( pageErrors ).toEqual( [] );
	} );
} );

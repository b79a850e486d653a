/**
 * The admin settings screen in Chromium, on the real plugin page (WordPress 6.1's own React and
 * components), saving through the plugin to the sidecar.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser } from '../src/browser';
import { startStack, type Stack } from '../src/stack';

let stack: Stack;
let browser: Browser;
let page: Page;

const TABS = [ 'General', 'Zoom', 'Microsoft Teams', 'Google Meet', 'Jitsi', 'Built-in room', 'Meeting', 'Before the consultation', 'Reminders', 'During', 'After', 'Payments', 'Security' ];

beforeAll( async () => {
	[ stack, browser ] = await Promise.all( [ startStack(), launchBrowser() ] );
	const session = await stack.site.login( 'admin' );
	const context = await browser.newContext();
	await context.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: stack.site.url } ) ) );
	page = await context.newPage();
	page.on( 'dialog', ( d ) => void d.accept() );
} );
afterAll( async () => {
	await browser?.close();
	await stack?.stop();
} );

const openSettings = async () => {
	await page.goto( `${ stack.site.url }/wp-admin/admin.php?page=bkx-video` );
	await page.getByRole( 'tab', { name: 'General' } ).waitFor();
};

describe( 'admin settings screen', () => {
	it( 'shows every settings group and the sidecar status', async () => {
		const errors: string[] = [];
		page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await openSettings();
		for ( const tab of TABS ) {
			expect( await page.getByRole( 'tab', { name: tab } ).count(), tab ).toBe( 1 );
		}
		await expect.poll( () => page.locator( '#bkx-video-admin' ).innerText() ).toMatch( /0\.1\.0/ );
		await page.getByRole( 'tab', { name: 'Jitsi' } ).click();
		expect( await page.getByLabel( 'Jitsi server URL' ).inputValue() ).toBe( stack.jitsi.url );
		// The secret is never sent to the browser; only that it is set.
		expect( await page.content() ).not.toContain( 'jitsi-e2e-secret' );
		expect( await page.locator( '#bkx-video-admin' ).innerText() ).toMatch( /Saved \(ends in/ );
		expect( errors ).toEqual( [] );
	} );

	it( 'shows an inline error for a bad value and does not send it', async () => {
		await page.getByRole( 'tab', { name: 'General' } ).click();
		const duration = page.getByLabel( 'Default duration (minutes)' );
		await duration.fill( '2' );
		const alert = page.locator( '.bkx-video-admin__field-error' ).first();
		await expect.poll( () => alert.innerText() ).toMatch( /at least 5/ );
		expect( await duration.getAttribute( 'aria-invalid' ) ).toBe( 'true' );
		const before = await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } );
		await page.getByRole( 'button', { name: 'Save settings' } ).click();
		const after = await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } );
		expect( after.json.settings.default_duration ).toBe( before.json.settings.default_duration );
		await duration.fill( '45' );
	} );

	it( 'keeps what was typed when saving fails, then saves it', async () => {
		await page.getByRole( 'tab', { name: 'Jitsi' } ).click();
		await page.getByLabel( 'Jitsi app ID' ).fill( 'typed-before-outage' );
		await stack.sidecar.stop();
		await page.getByRole( 'button', { name: 'Save settings' } ).click();
		await expect.poll( () => page.locator( '#bkx-video-admin' ).innerText(), { timeout: 15_000 } ).toMatch( /not reachable/ );
		expect( await page.getByLabel( 'Jitsi app ID' ).inputValue() ).toBe( 'typed-before-outage' );

		await stack.sidecar.start();
		await page.getByRole( 'button', { name: 'Save settings' } ).click();
		await expect.poll( async () => ( await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } ) ).json.settings.jitsi_app_id, { timeout: 15_000 } ).toBe( 'typed-before-outage' );
		const saved = await stack.site.rest( '/bookingx/v1/video/settings', { as: 'admin' } );
		expect( saved.json.settings.default_duration ).toBe( 45 );
		await openSettings();
		await page.getByRole( 'tab', { name: 'Jitsi' } ).click();
		expect( await page.getByLabel( 'Jitsi app ID' ).inputValue() ).toBe( 'typed-before-outage' );
	} );
} );

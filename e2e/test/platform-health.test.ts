/**
 * Integration health through the real WordPress: when Zoom refuses the saved credentials, the
 * sidecar pushes the state to the plugin's signed `internal/health` route, every wp-admin page shows
 * the notice (without calling the sidecar), the admin gets one e-mail through wp_mail, and saving
 * the new secret clears it all. A forged push is refused.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser } from '../src/browser';
import { JITSI_APP_ID, JITSI_APP_SECRET, ZOOM_E2E, ZOOM_E2E_SETTINGS, siteLocal, startStack, type Stack } from '../src/stack';

let stack: Stack;
let browser: Browser;

beforeAll( async () => {
	[ stack, browser ] = await Promise.all( [ startStack( { zoom: true } ), launchBrowser() ] );
	await stack.saveSettings( {
		...ZOOM_E2E_SETTINGS,
		jitsi_enabled: true,
		jitsi_app_id: JITSI_APP_ID,
		jitsi_app_secret: JITSI_APP_SECRET,
	} );
} );
afterAll( async () => {
	await browser?.close();
	await stack?.stop();
} );

const book = async ( email: string, hoursAhead: number ) => {
	const { site } = stack;
	await site.bookings.create( {
		serviceId: site.fixtures.videoServiceId,
		seatId: site.fixtures.seatId,
		start: siteLocal( new Date( Date.now() + hoursAhead * 3600_000 ), 'UTC' ),
		customer: { first_name: 'Hal', last_name: 'Health', email, phone: '1' },
	} );
	await stack.settle();
};

const dashboardNotice = async () => {
	const session = await stack.site.login( 'admin' );
	const context = await browser.newContext();
	await context.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: stack.site.url } ) ) );
	const page = await context.newPage();
	await page.goto( `${ stack.site.url }/wp-admin/index.php` );
	const notice = page.locator( '.bkx-video-health-notice[data-platform="zoom"]' );
	const text = ( await notice.count() ) ? await notice.innerText() : null;
	await context.close();
	return text;
};

describe( 'integration health in wp-admin', () => {
	it( 'shows a notice on every admin page and mails the admin once when Zoom refuses the credentials', async () => {
		await book( 'before@example.test', 30 );
		expect( await dashboardNotice() ).toBeNull();

		// Someone rotates the client secret in the Zoom app.
		stack.zoom!.setKnobs( { clientSecret: 'rotated-secret-0123456789' } );
		stack.zoom!.revokeTokens();
		await book( 'one@example.test', 31 );
		await book( 'two@example.test', 32 );

		await expect.poll( dashboardNotice, { timeout: 20_000, interval: 500 } ).toMatch( /Zoom stopped working for video consultations\./ );
		// The count follows within a few seconds (refusals are pushed to WordPress in 5-second batches).
		await expect.poll( dashboardNotice, { timeout: 20_000, interval: 500 } ).toMatch( /2 consultations are affected/ );
		const text = ( await dashboardNotice() )!;
		expect( text ).toContain( 'client secret' );
		expect( text ).not.toContain( ZOOM_E2E.clientSecret );

		const toAdmin = stack.site.mails().filter( ( m ) => m.subject === 'Zoom stopped working for your video consultations' );
		expect( toAdmin ).toHaveLength( 1 );
		expect( toAdmin[ 0 ]!.to ).toEqual( [ 'admin@example.test' ] );
	} );

	it( 'refuses a push that is not signed by the sidecar', async () => {
		const forged = await stack.site.rest( '/bookingx/v1/video/internal/health', { method: 'POST', body: { platforms: [] }, headers: { 'X-BKX-Signature': 'forged' } } );
		expect( forged.status ).toBe( 401 );
		expect( await dashboardNotice() ).not.toBeNull();
	} );

	it( 'clears the notice once the new secret is saved', async () => {
		await stack.saveSettings( { zoom_client_secret: 'rotated-secret-0123456789' } );
		await stack.settle();
		await expect.poll( dashboardNotice, { timeout: 20_000, interval: 500 } ).toBeNull();
		const status = await stack.site.rest( '/bookingx/v1/video/status', { as: 'admin' } );
		expect( status.json.platform_health ).toEqual( [] );
		expect( stack.site.mails().filter( ( m ) => m.subject.includes( 'stopped working' ) ) ).toHaveLength( 1 );
	} );
} );

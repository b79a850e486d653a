/**
 * The customer's choice of platform (allow_platform_selection), through the real WordPress: the
 * BookingX booking form shows our "Video platform" field with the enabled platforms, the choice
 * posted with the form is saved on the booking, and the consultation is made on that platform
 * instead of the default. An invented choice is dropped; with the setting off there is no field.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser } from '../src/browser';
import { JITSI_APP_ID, JITSI_APP_SECRET, ZOOM_E2E_SETTINGS, siteLocal, startStack, type Stack } from '../src/stack';

let stack: Stack;
let browser: Browser;
let formUrl: string;

beforeAll( async () => {
	[ stack, browser ] = await Promise.all( [ startStack( { zoom: true } ), launchBrowser() ] );
	await stack.saveSettings( {
		allow_platform_selection: true,
		...ZOOM_E2E_SETTINGS,
		jitsi_enabled: true,
		jitsi_app_id: JITSI_APP_ID,
		jitsi_app_secret: JITSI_APP_SECRET,
	} );
	const id = await stack.site.php( `echo wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Book', 'post_name' => 'book', 'post_content' => '[bookingx]' ) );` );
	formUrl = `${ stack.site.url }/?page_id=${ id.trim() }`;
} );
afterAll( async () => {
	await browser?.close();
	await stack?.stop();
} );

const platformOf = async ( bookingId: number ) =>
	( await stack.site.php( `global $wpdb; echo (string) $wpdb->get_var( $wpdb->prepare( "SELECT platform FROM {$wpdb->prefix}bkx_video_consultations WHERE booking_id = %d", ${ bookingId } ) );` ) ).trim();
const choiceMeta = async ( bookingId: number ) => ( await stack.site.php( `echo (string) get_post_meta( ${ bookingId }, 'bkx_video_platform_choice', true );` ) ).trim();
const book = async ( email: string, fields: Record< string, string > ) => {
	const id = await stack.site.bookings.create( {
		serviceId: stack.site.fixtures.videoServiceId,
		seatId: stack.site.fixtures.seatId,
		start: siteLocal( new Date( Date.now() + 30 * 3600_000 ), 'Europe/Berlin' ),
		customer: { first_name: 'Pia', last_name: 'Picker', email, phone: '1' },
		fields,
	} );
	await stack.settle();
	return id;
};

describe( 'customer choice of platform', () => {
	it( 'shows the enabled platforms on the booking form', async () => {
		const page = await browser.newPage();
		await page.goto( formUrl );
		const select = page.getByLabel( 'Video platform (for video consultations)' );
		await expect.poll( () => select.isVisible() ).toBe( true );
		expect( await select.locator( 'option' ).allInnerTexts() ).toEqual( [ 'No preference', 'Zoom', 'Jitsi Meet' ] );
		await select.selectOption( { label: 'Jitsi Meet' } );
		expect( await select.inputValue() ).toBe( 'jitsi' );
		await page.close();
	} );

	it( 'makes the consultation on the platform the customer picked', async () => {
		const picked = await book( 'picks-jitsi@example.test', { bkx_video_platform_choice: 'jitsi' } );
		expect( await choiceMeta( picked ) ).toBe( 'jitsi' );
		expect( await platformOf( picked ) ).toBe( 'jitsi' );
		const none = await book( 'no-preference@example.test', { bkx_video_platform_choice: '' } );
		expect( await platformOf( none ) ).toBe( 'zoom' );
	} );

	it( 'drops a choice that is not offered', async () => {
		const forged = await book( 'forged@example.test', { bkx_video_platform_choice: 'webrtc' } );
		expect( await choiceMeta( forged ) ).toBe( '' );
		expect( await platformOf( forged ) ).toBe( 'zoom' );
	} );

	it( 'shows no field, and ignores choices, once the admin turns choosing off', async () => {
		await stack.saveSettings( { allow_platform_selection: false } );
		const page = await browser.newPage();
		await page.goto( formUrl );
		await page.locator( '.bkx-booking-form' ).waitFor( { state: 'attached' } );
		expect( await page.locator( 'select[name="bkx_video_platform_choice"]' ).count() ).toBe( 0 );
		await page.close();
		const late = await book( 'too-late@example.test', { bkx_video_platform_choice: 'jitsi' } );
		expect( await platformOf( late ) ).toBe( 'zoom' );
	} );
} );

/**
 * The customer's and the provider's Join, in Chromium, against the real WordPress (stand-in
 * BookingX + our plugin), the sidecar and the Jitsi fake.
 */
import { readFile } from 'node:fs/promises';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser } from '../src/browser';
import { invitationLink, siteLocal, startStack, type Stack } from '../src/stack';

const SITE_TZ = 'Europe/Berlin';
const VIEWER_TZ = 'America/New_York';

let stack: Stack;
let browser: Browser;

beforeAll( async () => {
	[ stack, browser ] = await Promise.all( [ startStack( { timezone: SITE_TZ } ), launchBrowser() ] );
} );
afterAll( async () => {
	await browser?.close();
	await stack?.stop();
} );

/** A booking start whose join window (10 min before) opens between 8 and 68 s from now. */
function startOpeningSoon(): Date {
	const now = Date.now();
	let boundary = Math.ceil( now / 60000 ) * 60000;
	if ( boundary - now < 8000 ) {
		boundary += 60000;
	}
	return new Date( boundary + 10 * 60000 );
}

const viewerTime = ( d: Date ) =>
	new Intl.DateTimeFormat( 'en-US', { timeZone: VIEWER_TZ, hour: 'numeric', minute: '2-digit' } ).format( d );

describe( 'Join button', () => {
	let start: Date;
	let room: string;

	it( 'takes a guest customer from the invitation link into the Jitsi room as a member, once it opens', async () => {
		const { site } = stack;
		start = startOpeningSoon();
		await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( start, SITE_TZ ),
			customer: { first_name: 'Gina', last_name: 'Guest', email: 'gina@example.test', phone: '123' },
			as: 'guest',
		} );
		await stack.settle();
		const link = invitationLink( site, 'gina@example.test' );
		expect( link.startsWith( `${ site.url }/video-consultation/?bkx_vc=` ) ).toBe( true );
		// The invitation went through wp_mail with an iTIP calendar attachment.
		const invitation = site.mails().find( ( m ) => m.to.includes( 'gina@example.test' ) && m.subject.startsWith( 'Your video consultation' ) )!;
		const ics = Buffer.from( invitation.attachments.find( ( a ) => a.filename.endsWith( '.ics' ) )!.content_base64, 'base64' ).toString();
		expect( ics ).toContain( 'METHOD:REQUEST' );
		expect( ics ).toMatch( /UID:bkx-video-consultation-\d+@127\.0\.0\.1/ );
		expect( ics ).toContain( 'DTSTART;TZID=Europe/Berlin:' );
		expect( ics ).toContain( 'MAILTO:gina@example.test' );
		// The provider was told too, without the customer's personal link.
		const toProvider = site.mails().filter( ( m ) => m.to.includes( site.users.provider.email ) && m.subject.startsWith( 'Your video consultation' ) );
		expect( toProvider.length ).toBeGreaterThan( 0 );
		expect( toProvider.some( ( m ) => m.message.includes( 'bkx_vc=' ) ) ).toBe( false );

		const context = await browser.newContext( { timezoneId: VIEWER_TZ, locale: 'en-US', acceptDownloads: true } );
		const page = await context.newPage();
		const errors: string[] = [];
		page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		await page.goto( link );
		const block = page.locator( '.wp-block-bookingx-video-join-button' );
		await expect.poll( () => block.getAttribute( 'data-state' ) ).toBe( 'too_early' );
		// The personal token leaves the address bar (analytics, history) but survives a reload.
		expect( page.url() ).not.toContain( 'bkx_vc' );
		await page.reload();
		await expect.poll( () => block.getAttribute( 'data-state' ) ).toBe( 'too_early' );
		// The time is shown in the viewer's timezone (New York), not the site's (Berlin).
		const details = await block.locator( 'dl' ).innerText();
		expect( details ).toContain( viewerTime( start ) );
		expect( details ).toMatch( /EST/ );
		expect( details ).toContain( 'Provider Test' );

		// Add to calendar: Google and Outlook links and an .ics file, each with the personal link.
		const uid = /UID:(\S+)/.exec( ics )![ 1 ];
		await page.getByRole( 'button', { name: 'Add to calendar' } ).click();
		const google = page.getByRole( 'link', { name: 'Google Calendar' } );
		await expect.poll( () => google.isVisible() ).toBe( true );
		const googleUrl = new URL( ( await google.getAttribute( 'href' ) )! );
		expect( `${ googleUrl.origin }${ googleUrl.pathname }` ).toBe( 'https://calendar.google.com/calendar/render' );
		const utc = ( d: Date ) => `${ d.toISOString().replace( /[-:]/g, '' ).slice( 0, 15 ) }Z`;
		expect( googleUrl.searchParams.get( 'dates' )?.startsWith( `${ utc( start ) }/` ) ).toBe( true );
		expect( googleUrl.searchParams.get( 'details' ) ).toContain( link );
		const outlook = new URL( ( await page.getByRole( 'link', { name: 'Outlook' } ).getAttribute( 'href' ) )! );
		expect( `${ outlook.origin }${ outlook.pathname }` ).toBe( 'https://outlook.office.com/calendar/deeplink/compose' );
		expect( outlook.searchParams.get( 'startdt' ) ).toBe( `${ start.toISOString().slice( 0, 19 ) }Z` );
		const [ download ] = await Promise.all( [ page.waitForEvent( 'download' ), page.getByRole( 'link', { name: /Download \.ics file/ } ).click() ] );
		expect( download.suggestedFilename() ).toMatch( /^video-consultation-\d+\.ics$/ );
		const file = ( await readFile( await download.path() ) ).toString();
		expect( file ).toContain( 'METHOD:PUBLISH' );
		expect( file ).toContain( `UID:${ uid }` ); // the invitation's UID: calendars merge the two
		expect( file.replace( /\r\n[ \t]/g, '' ) ).toContain( link );

		const button = page.getByRole( 'button', { name: 'Join consultation' } );
		await expect.poll( () => button.isDisabled() ).toBe( true );
		await expect.poll( () => page.getByRole( 'timer' ).innerText() ).toMatch( /Opens in \d{2}:\d{2}/ );

		// It opens without a reload; one click joins.
		await expect.poll( () => block.getAttribute( 'data-state' ), { timeout: 80_000, interval: 500 } ).toBe( 'open' );
		await Promise.all( [ page.waitForURL( `${ stack.jitsi.url }/**` ), button.click() ] );
		const joined = page.locator( '#jitsi-fake' );
		expect( await joined.getAttribute( 'data-verified' ) ).toBe( 'true' );
		expect( await joined.getAttribute( 'data-role' ) ).toBe( 'member' );
		expect( await joined.getAttribute( 'data-user-name' ) ).toBe( 'Gina Guest' );
		room = ( await joined.getAttribute( 'data-room' ) ) ?? '';
		expect( room ).toMatch( /^bkx-\d+-[a-z0-9]{12}$/ );
		const recorded = stack.jitsi.requests.filter( ( r ) => r.path === `/${ room }` );
		expect( recorded.at( -1 )?.verification?.result ).toMatchObject( { ok: true, role: 'member' } );
		expect( errors ).toEqual( [] );
		await context.close();
	} );

	it( "gives the provider a moderator token for the same room", async () => {
		const session = await stack.site.login( 'provider' );
		const context = await browser.newContext( { timezoneId: VIEWER_TZ } );
		await context.addCookies( session.cookies.map( ( c ) => ( { ...c, url: stack.site.url } ) ).map( ( { name, value, url } ) => ( { name, value, url } ) ) );
		const page = await context.newPage();
		await page.goto( `${ stack.site.url }/video-consultation/` );
		const block = page.locator( '.wp-block-bookingx-video-join-button' );
		await expect.poll( () => block.getAttribute( 'data-state' ) ).toBe( 'open' );
		await Promise.all( [ page.waitForURL( `${ stack.jitsi.url }/**` ), page.getByRole( 'button', { name: 'Join consultation' } ).click() ] );
		const joined = page.locator( '#jitsi-fake' );
		expect( await joined.getAttribute( 'data-verified' ) ).toBe( 'true' );
		expect( await joined.getAttribute( 'data-role' ) ).toBe( 'moderator' );
		expect( await joined.getAttribute( 'data-room' ) ).toBe( room );
		await context.close();
	} );

	it( 'shows "too early" with a countdown for tomorrow and "ended" for a past consultation', async () => {
		const { site } = stack;
		const tomorrow = new Date( Date.now() + 26 * 3600_000 );
		await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( tomorrow, SITE_TZ ),
			customer: { first_name: 'Tom', last_name: 'Morrow', email: 'tom@example.test', phone: '1' },
		} );
		// A consultation moved into the past (an admin correcting the record) has ended.
		const pastId = await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( new Date( Date.now() + 50 * 3600_000 ), SITE_TZ ),
			customer: { first_name: 'Pat', last_name: 'Past', email: 'pat@example.test', phone: '1' },
		} );
		await stack.settle();
		await site.bookings.reschedule( pastId, { start: siteLocal( new Date( Date.now() - 3 * 3600_000 ), SITE_TZ ) } );
		await stack.settle();
		const context = await browser.newContext( { timezoneId: VIEWER_TZ } );
		const page = await context.newPage();

		await page.goto( invitationLink( site, 'tom@example.test' ) );
		const block = page.locator( '.wp-block-bookingx-video-join-button' );
		await expect.poll( () => block.getAttribute( 'data-state' ) ).toBe( 'too_early' );
		expect( await page.getByRole( 'status' ).innerText() ).toContain( 'Your consultation opens at' );
		expect( await page.getByRole( 'button', { name: 'Join consultation' } ).isDisabled() ).toBe( true );

		await page.goto( invitationLink( site, 'pat@example.test' ) );
		await expect.poll( () => block.getAttribute( 'data-state' ) ).toBe( 'ended' );
		expect( await page.getByRole( 'status' ).innerText() ).toBe( 'This meeting has ended.' );
		expect( await page.getByRole( 'button' ).count() === 0 || ! ( await page.getByRole( 'button', { name: 'Join consultation' } ).isVisible() ) ).toBe( true );

		// A logged-in customer needs no link: the page finds their next consultation.
		const own = new Date( Math.floor( ( Date.now() + 30 * 3600_000 ) / 60000 ) * 60000 );
		await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( own, SITE_TZ ),
			customer: { first_name: 'Casey', last_name: 'Customer', email: site.users.customer.email, phone: '1' },
			as: 'customer',
		} );
		await stack.settle();
		const session = await site.login( 'customer' );
		const customerContext = await browser.newContext( { timezoneId: VIEWER_TZ } );
		await customerContext.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: site.url } ) ) );
		const customerPage = await customerContext.newPage();
		await customerPage.goto( `${ site.url }/video-consultation/` );
		const customerBlock = customerPage.locator( '.wp-block-bookingx-video-join-button' );
		await expect.poll( () => customerBlock.getAttribute( 'data-state' ) ).toBe( 'too_early' );
		expect( await customerBlock.locator( 'dl' ).innerText() ).toContain( viewerTime( own ) );
		await customerContext.close();

		await page.goto( `${ site.url }/video-consultation/?bkx_vc=${ 'A'.repeat( 43 ) }` );
		await expect.poll( () => block.getAttribute( 'data-state' ) ).toBe( 'error' );
		expect( await page.getByRole( 'status' ).innerText() ).toBe( 'This consultation link is not valid any more. Please use the link in your latest invitation.' );
		await context.close();
	} );

	it( 'can be inserted in the block editor, saved, and renders on the page', async () => {
		const session = await stack.site.login( 'admin' );
		const context = await browser.newContext();
		await context.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: stack.site.url } ) ) );
		const page = await context.newPage();
		await page.goto( `${ stack.site.url }/wp-admin/post-new.php?post_type=page` );
		await page.waitForFunction( () => Boolean( ( window as unknown as { wp?: { data?: unknown } } ).wp?.data ) );
		// Close the welcome guide if it shows.
		const guide = page.getByRole( 'button', { name: 'Close dialog' } );
		if ( await guide.isVisible().catch( () => false ) ) {
			await guide.click();
		}
		await page.getByRole( 'button', { name: /Toggle block inserter|Add block/ } ).first().click();
		await page.getByRole( 'searchbox' ).first().fill( 'Consultation join' );
		await page.getByRole( 'option', { name: /Consultation join button/ } ).click();
		const content = await page.evaluate( () => {
			const wp = ( window as unknown as { wp: { data: { select: ( s: string ) => { getEditedPostContent: () => string } } } } ).wp;
			return wp.data.select( 'core/editor' ).getEditedPostContent();
		} );
		expect( content ).toContain( '<!-- wp:bookingx-video/join-button' );
		await page.evaluate( async () => {
			type Editor = { editPost: ( edits: object ) => Promise< void >; savePost: () => Promise< void > };
			const wp = ( window as unknown as { wp: { data: { dispatch: ( s: string ) => Editor } } } ).wp;
			await wp.data.dispatch( 'core/editor' ).editPost( { title: 'Join here', status: 'publish' } );
			await wp.data.dispatch( 'core/editor' ).savePost();
		} );
		const link = await page.waitForFunction( () => {
			const wp = ( window as unknown as { wp: { data: { select: ( s: string ) => { getCurrentPost: () => { status: string; link: string } } } } } ).wp;
			const post = wp.data.select( 'core/editor' ).getCurrentPost();
			return post.status === 'publish' ? post.link : null;
		} );
		const url = ( await link.jsonValue() ) as string;
		const viewer = await browser.newPage();
		await viewer.goto( url );
		const block = viewer.locator( '.wp-block-bookingx-video-join-button' );
		expect( await block.count() ).toBe( 1 );
		// A guest without a link is asked to log in (no join URL or token ever sits in the markup).
		await expect.poll( () => block.getAttribute( 'data-state' ) ).toBe( 'error' );
		expect( await viewer.getByRole( 'status' ).innerText() ).toBe( 'Please log in to join this consultation.' );
		expect( await viewer.content() ).not.toMatch( /jwt=|bkx_vc=[A-Za-z0-9_-]{20}/ );
		await viewer.close();
		await context.close();
	} );
} );

/**
 * "Add to calendar" (GET /v1/consultations/:id/calendar): the same access rules as reading the
 * consultation, an `.ics` that an independent parser reads as the invitation's event (same UID,
 * site TZID), and Google/Outlook links with the viewer's own join link — nothing for a cancelled one.
 */
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deriveAccessToken } from '../src/crypto';
import { ADMIN, PREFIX, SECRET, bookingx, call, setup, startMailRelay, type TestContext } from './helper';

let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startMailRelay > >;
let bx: ReturnType< typeof bookingx >;
let ids: { customer: number; other: number; seat: number; video: number };

beforeAll( async () => {
	relay = await startMailRelay();
	ctx = await setup( { env: { BKX_VIDEO_MAIL_RELAY_URL: relay.wpUrl, BKX_VIDEO_SITE_URL: 'https://clinic.example.test' }, clockStart: '2026-11-22T08:00:00Z' } );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Ada Provider' );
	ids = {
		customer: await bx.user( 'customer', 'customer@example.test', 'Cara Customer' ),
		other: await bx.user( 'other', 'other@example.test', 'Otto Other' ),
		seat: await bx.seat( 'Dr. Ada', provider ),
		video: await bx.service( 'Video consultation', true ),
	};
	const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', {
		require_authentication: false,
		jitsi_enabled: true,
		zoom_enabled: false,
		default_platform: 'jitsi',
		jitsi_server_url: 'https://meet.example.test',
		jitsi_app_id: 'bkx-app',
		jitsi_app_secret: 'jitsi-secret-0123456789',
	}, ctx.clock.now() );
	expect( res.status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
	await relay?.close();
} );

describe( 'add to calendar', () => {
	let bookingId: number;
	let consultationId: number;
	let token: string;

	it( 'gives the guest an .ics and links that carry their personal link, as the invitation has it', async () => {
		// Berlin, winter: 10:00 local is 09:00Z.
		bookingId = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: '2026-11-23 10:00:00', end: '2026-11-23 10:30:00', email: 'customer@example.test' } );
		await bx.event( bookingId, 'booking.saved' );
		await ctx.app.workers.drainOutbox();
		await ctx.app.workers.runDueJobs();
		const row = await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).first().where( 'booking_id', bookingId );
		consultationId = row.id;
		token = deriveAccessToken( SECRET, consultationId, 1 );

		const res = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/${ consultationId }/calendar?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( res.status ).toBe( 200 );
		const entry = res.json as { filename: string; ics: string; google_url: string; outlook_url: string };
		const personal = `https://clinic.example.test/video-consultation/?bkx_vc=${ token }`;
		expect( entry.filename ).toBe( `video-consultation-${ consultationId }.ics` );

		const calendar = new ICAL.Component( ICAL.parse( entry.ics ) );
		expect( calendar.getFirstPropertyValue( 'method' ) ).toBe( 'PUBLISH' );
		const event = new ICAL.Event( calendar.getFirstSubcomponent( 'vevent' )! );
		const invitation = relay.mails.find( ( m ) => ( m.to as string[] ).includes( 'customer@example.test' ) ) as { attachments: Array< { content_base64: string } > };
		const invited = new ICAL.Event( new ICAL.Component( ICAL.parse( Buffer.from( invitation.attachments[ 0 ]!.content_base64, 'base64' ).toString() ) ).getFirstSubcomponent( 'vevent' )! );
		expect( event.uid ).toBe( invited.uid );
		expect( calendar.getFirstSubcomponent( 'vevent' )!.getFirstProperty( 'dtstart' )!.getParameter( 'tzid' ) ).toBe( 'Europe/Berlin' );
		ICAL.TimezoneService.register( calendar.getFirstSubcomponent( 'vtimezone' )! );
		expect( event.startDate.toJSDate().toISOString() ).toBe( '2026-11-23T09:00:00.000Z' );
		expect( event.endDate.toJSDate().toISOString() ).toBe( '2026-11-23T09:30:00.000Z' );
		expect( event.summary ).toBe( 'Video consultation with Dr. Ada Provider' );
		expect( String( calendar.getFirstSubcomponent( 'vevent' )!.getFirstPropertyValue( 'url' ) ) ).toBe( personal );
		// No platform URL or passcode in any of it.
		expect( JSON.stringify( entry ) ).not.toContain( row.join_url );

		const google = new URL( entry.google_url );
		expect( google.searchParams.get( 'dates' ) ).toBe( '20261123T090000Z/20261123T093000Z' );
		expect( google.searchParams.get( 'location' ) ).toBe( personal );
		const outlook = new URL( entry.outlook_url );
		expect( outlook.searchParams.get( 'startdt' ) ).toBe( '2026-11-23T09:00:00Z' );
		expect( outlook.searchParams.get( 'enddt' ) ).toBe( '2026-11-23T09:30:00Z' );
	} );

	it( 'gives a logged-in customer the plain join page, and refuses other customers and guests without a token', async () => {
		const own = await call( ctx.app, { sub: ids.customer, email: 'customer@example.test' }, 'GET', `/v1/consultations/${ consultationId }/calendar`, undefined, ctx.clock.now() );
		expect( own.status ).toBe( 200 );
		expect( ( own.json as { ics: string } ).ics ).not.toContain( 'bkx_vc' );
		const other = await call( ctx.app, { sub: ids.other, email: 'other@example.test' }, 'GET', `/v1/consultations/${ consultationId }/calendar`, undefined, ctx.clock.now() );
		expect( other.status ).toBe( 403 );
		const guest = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/${ consultationId }/calendar`, undefined, ctx.clock.now() );
		expect( guest.status ).toBe( 401 );
		const bad = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/${ consultationId }/calendar?bkx_vc=short`, undefined, ctx.clock.now() );
		expect( bad.status ).toBe( 400 );
	} );

	it( 'offers nothing for a cancelled consultation', async () => {
		await bx.setStatus( bookingId, 'bkx-cancelled' );
		await bx.event( bookingId, 'booking.status' );
		await ctx.app.workers.drainOutbox();
		const res = await call( ctx.app, { sub: 0 }, 'GET', `/v1/consultations/${ consultationId }/calendar?bkx_vc=${ token }`, undefined, ctx.clock.now() );
		expect( res.status ).toBe( 410 );
		expect( res.json ).toMatchObject( { code: 'meeting_cancelled' } );
	} );
} );

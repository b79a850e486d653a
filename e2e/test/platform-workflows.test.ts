/**
 * Zoom, Teams and Google Meet, each end to end through the real WordPress (BookingX stand-in + our
 * plugin), the plugin's outbox, the sidecar and the platform fakes, with the e-mails really sent by
 * wp_mail() over SMTP and received by the SMTP fake: booking → meeting on the platform → invitation
 * (personal link, .ics REQUEST) → reschedule → meeting moved + updated invitation (same UID, higher
 * SEQUENCE) → cancel → meeting deleted + CANCEL. Every .ics is read with ical.js, an independent parser.
 */
import { createHash, randomBytes } from 'node:crypto';

import ICAL from 'ical.js';
import { SignJWT } from 'jose';
import { startGoogleFake, type GoogleFake, type SmtpMessage } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRAPH_E2E, ZOOM_E2E, siteLocal, startStack, type Stack } from '../src/stack';

const TZ = 'Europe/London';
const PROVIDER_EMAIL = 'provider@example.test';

const GOOGLE = { clientId: 'e2e-meet-client.apps.googleusercontent.com', clientSecret: 'e2e-meet-secret-0123456789', user: { email: 'clinic@example.test', sub: '109876543210000000042' } };

let stack: Stack;
let google: GoogleFake;
beforeAll( async () => {
	google = await startGoogleFake( GOOGLE );
	stack = await startStack( {
		timezone: TZ,
		zoom: true,
		graph: true,
		smtp: true,
		sidecarEnv: {
			BKX_VIDEO_GOOGLE_OAUTH_URL: google.authUrl,
			BKX_VIDEO_GOOGLE_TOKEN_URL: google.tokenUrl,
			BKX_VIDEO_GOOGLE_REVOKE_URL: google.revokeUrl,
			BKX_VIDEO_GOOGLE_CALENDAR_URL: google.calendarBase,
		},
	} );
	// Google sends the admin back to our admin screen (the sidecar's default redirect URI).
	google.setKnobs( { redirectUris: [ `${ stack.site.url }/wp-admin/admin.php?page=bkx-video&bkx_video_oauth=meet` ] } );
	// Guests book with their personal link; the harness's customer account is not involved.
	await stack.saveSettings( { require_authentication: false } );
} );
afterAll( async () => {
	await stack?.stop();
	await google?.close();
} );

/** The consultation row of a booking, read from WordPress's database. */
async function consultationOf( bookingId: number ): Promise< { id: number; platform: string; meeting_id: string; status: string; scheduled_start: string; scheduled_end: string; ics_sequence: number } > {
	const row = JSON.parse(
		await stack.site.php(
			`global $wpdb; echo wp_json_encode( $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$wpdb->prefix}bkx_video_consultations WHERE booking_id = %d", ${ bookingId } ), ARRAY_A ) );`
		)
	) as Record< string, string > | null;
	if ( ! row ) {
		throw new Error( `No consultation for booking ${ bookingId }. Sidecar log:\n${ stack.sidecar.logs().slice( -2000 ) }` );
	}
	return {
		id: Number( row.id ),
		platform: row.platform!,
		meeting_id: row.meeting_id!,
		status: row.status!,
		scheduled_start: row.scheduled_start!,
		scheduled_end: row.scheduled_end!,
		ics_sequence: Number( row.ics_sequence ),
	};
}

const utc = ( mysql: string ) => new Date( `${ mysql.replace( ' ', 'T' ) }Z` );

/** A start whose join window (10 min before) is already open: the next full minute plus 5. */
function startOpenNow(): Date {
	return new Date( Math.ceil( Date.now() / 60000 ) * 60000 + 5 * 60000 );
}

interface Ics {
	method: string;
	uid: string;
	sequence: number;
	status: string;
	tzid: string;
	vtimezone: string;
	/** DTSTART as written (local wall clock in TZID), `YYYY-MM-DDTHH:MM:SS`. */
	localStart: string;
	start: Date;
	end: Date;
	organizer: string;
	attendees: string[];
	url: string;
	description: string;
}

function parseIcs( text: string ): Ics {
	const root = new ICAL.Component( ICAL.parse( text ) );
	const vtz = root.getFirstSubcomponent( 'vtimezone' );
	if ( vtz ) {
		ICAL.TimezoneService.register( new ICAL.Timezone( vtz ) );
	}
	const vevent = root.getFirstSubcomponent( 'vevent' );
	if ( ! vevent ) {
		throw new Error( `No VEVENT in:\n${ text }` );
	}
	const event = new ICAL.Event( vevent );
	const dtstart = vevent.getFirstProperty( 'dtstart' )!;
	return {
		method: String( root.getFirstPropertyValue( 'method' ) ),
		uid: event.uid,
		sequence: event.sequence,
		status: String( vevent.getFirstPropertyValue( 'status' ) ?? '' ),
		tzid: String( dtstart.getParameter( 'tzid' ) ?? '' ),
		vtimezone: vtz ? String( vtz.getFirstPropertyValue( 'tzid' ) ) : '',
		localStart: String( dtstart.getFirstValue() ),
		start: event.startDate.toJSDate(),
		end: event.endDate.toJSDate(),
		organizer: String( vevent.getFirstPropertyValue( 'organizer' ) ).toLowerCase(),
		attendees: vevent.getAllProperties( 'attendee' ).map( ( p ) => String( p.getFirstValue() ).toLowerCase() ),
		url: String( vevent.getFirstPropertyValue( 'url' ) ?? '' ),
		description: String( vevent.getFirstPropertyValue( 'description' ) ?? '' ),
	};
}

/** The one .ics of a mail, its MIME type parameters and the calendar as ical.js reads it. */
function calendarOf( mail: SmtpMessage ) {
	const parts = mail.attachments.filter( ( a ) => a.mimeType === 'text/calendar' );
	expect( parts, `calendar parts of "${ mail.subject }"` ).toHaveLength( 1 );
	const part = parts[ 0 ]!;
	const text = part.content.toString( 'utf8' );
	return { part, text, ics: parseIcs( text ) };
}

/** The personal link in a mail's plain text and HTML (they must agree). */
function personalLink( mail: SmtpMessage ): string {
	const inText = mail.text.match( /https?:\/\/\S+?bkx_vc=[A-Za-z0-9_-]+/ )?.[ 0 ];
	const inHtml = mail.html.match( /href="(https?:\/\/[^"]+?bkx_vc=[A-Za-z0-9_-]+)"/ )?.[ 1 ]?.replace( /&amp;/g, '&' );
	expect( inText, `link in the text of "${ mail.subject }"` ).toBeDefined();
	expect( inHtml ).toBe( inText );
	return inText!;
}

/** Waits for the sidecar's mail of `kind` to `to` that was not seen before. */
async function nextMail( to: string, subject: RegExp, after: number ): Promise< SmtpMessage > {
	await stack.settle();
	return stack.smtp!.waitFor( ( m ) => m.id > after && m.envelope.to.includes( to ) && subject.test( m.subject ), 15_000 );
}

const lastMailId = () => stack.smtp!.messages.at( -1 )?.id ?? 0;

const token = ( link: string ) => new URL( link ).searchParams.get( 'bkx_vc' )!;

interface PlatformView {
	/** The meeting as the fake holds it now, or undefined when it is gone. */
	meeting( meetingId: string ): Promise< { start: Date; end: Date | null; joinUrl: string; secrets: string[] } | undefined >;
	/** The meeting sits in the fake's deleted list (or is simply gone where the fake keeps none). */
	deleted( meetingId: string ): boolean;
}

/**
 * The shared workflow. Returns nothing; every step asserts what the platform, the customer's mailbox
 * and the personal link show.
 */
async function workflow( platform: 'zoom' | 'teams' | 'meet', view: PlatformView, customer: { first_name: string; email: string } ) {
	const { site, smtp } = stack;
	const start = startOpenNow();
	const startLocal = siteLocal( start, TZ );
	let seen = lastMailId();

	// 1. The customer books through BookingX's front form.
	const bookingId = await site.bookings.create( {
		serviceId: site.fixtures.videoServiceId,
		seatId: site.fixtures.seatId,
		start: startLocal,
		customer: { ...customer, last_name: 'Workflow', phone: '+441234567' },
		as: 'guest',
	} );
	const invitation = await nextMail( customer.email, /^Your video consultation/, seen );
	const row = await consultationOf( bookingId );
	expect( row ).toMatchObject( { platform, status: 'scheduled' } );
	expect( utc( row.scheduled_start ).toISOString() ).toBe( start.toISOString() );

	// 2. One meeting on the platform, at the booked instant.
	const meeting = await view.meeting( row.meeting_id );
	expect( meeting, `${ platform } meeting ${ row.meeting_id }` ).toBeDefined();
	expect( meeting!.start.toISOString() ).toBe( start.toISOString() );

	// 3. The invitation: to the customer alone, their personal link, an iMIP REQUEST calendar.
	expect( invitation.envelope.to ).toEqual( [ customer.email ] );
	expect( invitation.to ).toEqual( [ customer.email ] );
	const link = personalLink( invitation );
	expect( link.startsWith( `${ site.url }/video-consultation/?bkx_vc=` ) ).toBe( true );
	const inv = calendarOf( invitation );
	expect( inv.part.params.method ).toBe( 'REQUEST' );
	expect( inv.part.filename ).toBe( 'invite.ics' );
	expect( inv.ics ).toMatchObject( {
		method: 'REQUEST',
		uid: `bkx-video-consultation-${ row.id }@${ site.host }`,
		status: 'CONFIRMED',
		tzid: TZ,
		vtimezone: TZ,
		organizer: `mailto:${ PROVIDER_EMAIL }`,
		attendees: [ `mailto:${ customer.email }` ],
		url: link,
	} );
	expect( inv.ics.localStart ).toBe( `${ startLocal.replace( ' ', 'T' ) }:00` );
	expect( inv.ics.start.toISOString() ).toBe( start.toISOString() );
	expect( inv.ics.end.getTime() - inv.ics.start.getTime() ).toBe( 30 * 60_000 );
	expect( inv.ics.description ).toContain( link );
	// The platform's own join URL and passcodes never travel by e-mail: the link goes through our join page.
	for ( const secret of [ meeting!.joinUrl, ...meeting!.secrets ] ) {
		expect( invitation.raw ).not.toContain( secret );
		expect( inv.text ).not.toContain( secret );
	}
	// The provider gets their own copy with the plain join page (they log in).
	const hostCopy = await smtp!.waitFor( ( m ) => m.id > seen && m.envelope.to.includes( PROVIDER_EMAIL ) && /^Your video consultation/.test( m.subject ), 5000 );
	expect( hostCopy.text ).toContain( `${ site.url }/video-consultation/` );
	expect( hostCopy.text ).not.toContain( 'bkx_vc=' );
	expect( calendarOf( hostCopy ).ics.uid ).toBe( inv.ics.uid );

	// 4. The personal link opens this consultation, and Join hands over the platform's meeting.
	const current = await site.rest( '/bookingx/v1/video/consultations/current', { as: 'guest', query: { bkx_vc: token( link ) } } );
	expect( current.status, current.text ).toBe( 200 );
	expect( current.json ).toMatchObject( { id: row.id, platform, scheduled_start: start.toISOString(), state: expect.any( String ) } );
	const join = await site.rest( `/bookingx/v1/video/consultations/${ row.id }/join`, { method: 'POST', as: 'guest', query: { bkx_vc: token( link ) } } );
	expect( join.status, join.text ).toBe( 200 );
	expect( join.json ).toMatchObject( { platform, role: 'participant', join_url: meeting!.joinUrl } );

	// 5. The admin reschedules to the same time two days later.
	seen = lastMailId();
	const moved = new Date( start.getTime() + 2 * 86400_000 );
	const movedLocal = siteLocal( moved, TZ );
	await site.bookings.reschedule( bookingId, { start: movedLocal } );
	const update = await nextMail( customer.email, /^Changed: your video consultation/, seen );
	const after = await consultationOf( bookingId );
	expect( after.meeting_id ).toBe( row.meeting_id );
	expect( utc( after.scheduled_start ).toISOString() ).toBe( moved.toISOString() );
	expect( ( await view.meeting( row.meeting_id ) )?.start.toISOString(), 'meeting moved on the platform' ).toBe( moved.toISOString() );
	const upd = calendarOf( update );
	expect( upd.part.params.method ).toBe( 'REQUEST' );
	expect( upd.ics.method ).toBe( 'REQUEST' );
	expect( upd.ics.uid ).toBe( inv.ics.uid );
	expect( upd.ics.sequence ).toBeGreaterThan( inv.ics.sequence );
	expect( upd.ics.localStart ).toBe( `${ movedLocal.replace( ' ', 'T' ) }:00` );
	expect( upd.ics.start.toISOString() ).toBe( moved.toISOString() );
	const updLink = personalLink( update );
	expect( upd.ics.url ).toBe( updLink );
	const later = await site.rest( '/bookingx/v1/video/consultations/current', { as: 'guest', query: { bkx_vc: token( updLink ) } } );
	expect( later.json ).toMatchObject( { id: row.id, scheduled_start: moved.toISOString(), state: 'too_early' } );

	// 6. The admin cancels from the bookings list.
	seen = lastMailId();
	await site.bookings.setStatus( bookingId, 'cancelled' );
	const cancel = await nextMail( customer.email, /^Cancelled: your video consultation/, seen );
	expect( ( await consultationOf( bookingId ) ).status ).toBe( 'cancelled' );
	expect( await view.meeting( row.meeting_id ), 'meeting deleted on the platform' ).toBeUndefined();
	expect( view.deleted( row.meeting_id ) ).toBe( true );
	const can = calendarOf( cancel );
	expect( can.part.params.method ).toBe( 'CANCEL' );
	expect( can.part.filename ).toBe( 'cancel.ics' );
	expect( can.ics ).toMatchObject( { method: 'CANCEL', uid: inv.ics.uid, status: 'CANCELLED', attendees: [ `mailto:${ customer.email }` ], organizer: `mailto:${ PROVIDER_EMAIL }` } );
	expect( can.ics.sequence ).toBeGreaterThan( upd.ics.sequence );
	expect( can.ics.start.toISOString() ).toBe( moved.toISOString() );
	const refused = await site.rest( `/bookingx/v1/video/consultations/${ row.id }/join`, { method: 'POST', as: 'guest', query: { bkx_vc: token( link ) } } );
	expect( refused.status ).toBe( 410 );
	expect( refused.json ).toMatchObject( { code: 'meeting_cancelled' } );

	// Exactly one invitation, one update and one cancellation reached the customer.
	const sidecarMails = smtp!.messages.filter( ( m ) => m.envelope.to.includes( customer.email ) && /video consultation/i.test( m.subject ) );
	expect( sidecarMails.map( ( m ) => m.subject.split( ':' )[ 0 ] ) ).toEqual( [ 'Your video consultation', 'Changed', 'Cancelled' ] );
}

describe( 'platform workflows through WordPress, the sidecar, the fakes and real SMTP', () => {
	it( 'zoom_full_workflow: booking → Zoom meeting → invitation → reschedule → moved + update → cancel → deleted + CANCEL', async () => {
		const zoom = stack.zoom!;
		await stack.saveSettings( {
			zoom_enabled: true,
			teams_enabled: false,
			default_platform: 'zoom',
			zoom_account_id: ZOOM_E2E.accountId,
			zoom_client_id: ZOOM_E2E.clientId,
			zoom_client_secret: ZOOM_E2E.clientSecret,
			zoom_user_id: ZOOM_E2E.user,
		} );
		await workflow(
			'zoom',
			{
				async meeting( id ) {
					const m = zoom.meetings.get( id );
					if ( ! m ) {
						return undefined;
					}
					const start = new Date( m.start_time! );
					return { start, end: new Date( start.getTime() + ( m.duration ?? 0 ) * 60_000 ), joinUrl: m.join_url, secrets: [ m.start_url, m.password, m.encrypted_password ].filter( ( s ): s is string => !! s ) };
				},
				deleted: ( id ) => zoom.deletedMeetings.has( id ),
			},
			{ first_name: 'Zoe', email: 'zoe.zoom@example.test' }
		);
		// Created once, moved with PATCH, deleted once.
		expect( zoom.requests.filter( ( r ) => r.method === 'POST' && /\/users\/[^/]+\/meetings$/.test( r.path ) && r.status === 201 ) ).toHaveLength( 1 );
		expect( zoom.requests.filter( ( r ) => r.method === 'PATCH' && /\/meetings\/\d+$/.test( r.path ) ).length ).toBeGreaterThanOrEqual( 1 );
		expect( zoom.requests.filter( ( r ) => r.method === 'DELETE' && /\/meetings\/\d+/.test( r.path ) ) ).toHaveLength( 1 );
	} );

	it( 'teams_meeting_creation: booking → Teams online meeting → invitation → reschedule → moved + update → cancel → deleted + CANCEL', async () => {
		const graph = stack.graph!;
		await stack.saveSettings( {
			zoom_enabled: false,
			teams_enabled: true,
			default_platform: 'teams',
			teams_tenant_id: GRAPH_E2E.tenantId,
			teams_client_id: GRAPH_E2E.clientId,
			teams_client_secret: GRAPH_E2E.clientSecret,
		} );
		const graphId = ( stored: string ) => stored.slice( stored.indexOf( ':' ) + 1 );
		await workflow(
			'teams',
			{
				async meeting( stored ) {
					const m = graph.meetings.get( graphId( stored ) ) as ( Record< string, unknown > & { userId: string } ) | undefined;
					if ( ! m ) {
						return undefined;
					}
					// Organized by the provider's Entra user (looked up by their e-mail as UPN).
					expect( m.userId ).toBe( GRAPH_E2E.provider.id );
					const settings = ( m.joinMeetingIdSettings ?? {} ) as { passcode?: string };
					return { start: new Date( String( m.startDateTime ) ), end: new Date( String( m.endDateTime ) ), joinUrl: String( m.joinWebUrl ), secrets: settings.passcode ? [ settings.passcode ] : [] };
				},
				// Graph keeps no deleted meetings: gone from the store and the DELETE answered 204.
				deleted: ( stored ) =>
					! graph.meetings.has( graphId( stored ) ) &&
					graph.requests.some( ( r ) => r.method === 'DELETE' && r.path.includes( '/onlineMeetings/' ) && ( r as { status?: number } ).status === 204 ),
			},
			{ first_name: 'Tess', email: 'tess.teams@example.test' }
		);
		// One meeting made: createOrGet answered 201 (created) once; any retry would get the same one.
		expect(
			graph.requests.filter( ( r ) => r.method === 'POST' && r.path.endsWith( `/users/${ GRAPH_E2E.provider.id }/onlineMeetings/createOrGet` ) && ( r as { status?: number } ).status === 201 )
		).toHaveLength( 1 );
		expect( graph.requests.filter( ( r ) => r.method === 'PATCH' && r.path.includes( '/onlineMeetings/' ) ).length ).toBeGreaterThanOrEqual( 1 );
	} );

	it( 'meet_integration: Google connected by OAuth → booking → Calendar event with Meet → invitation → reschedule → moved + update → cancel → deleted + CANCEL', async () => {
		const { site } = stack;
		await stack.saveSettings( { zoom_enabled: false, teams_enabled: false, meet_enabled: true, default_platform: 'meet', meet_client_id: GOOGLE.clientId, meet_client_secret: GOOGLE.clientSecret } );
		// The admin connects Google: our start route → Google's consent page (302 back with code + state) → our exchange route.
		const start = await site.rest( '/bookingx/v1/video/platforms/meet/oauth/start', { method: 'POST', as: 'admin' } );
		expect( start.status, start.text ).toBe( 200 );
		const consent = await fetch( String( start.json.authorize_url ), { redirect: 'manual' } );
		expect( consent.status ).toBe( 302 );
		const back = new URL( consent.headers.get( 'location' )! );
		expect( `${ back.origin }${ back.pathname }` ).toBe( `${ site.url }/wp-admin/admin.php` );
		const exchange = await site.rest( '/bookingx/v1/video/platforms/meet/oauth/exchange', {
			method: 'POST',
			as: 'admin',
			body: { code: back.searchParams.get( 'code' ), state: back.searchParams.get( 'state' ) },
		} );
		expect( exchange.status, exchange.text ).toBe( 200 );
		expect( exchange.json ).toMatchObject( { connected: true } );
		expect( exchange.text ).not.toMatch( /refresh_token|1\/\// );

		const eventId = ( stored: string ) => stored.slice( stored.lastIndexOf( '/' ) + 1 );
		/** The events as Google renders them (hangoutLink, conferenceData), from the fake's control route. */
		const rendered = async ( stored: string ) => {
			const all = ( await ( await fetch( `${ new URL( google.calendarBase ).origin }/__fake/events` ) ).json() ) as Array< { deleted: boolean; event: Record< string, any > } >;
			return all.find( ( e ) => e.event.id === eventId( stored ) );
		};
		await workflow(
			'meet',
			{
				async meeting( stored ) {
					const e = await rendered( stored );
					if ( ! e || e.deleted ) {
						return undefined;
					}
					const video = ( e.event.conferenceData?.entryPoints ?? [] ).find( ( p: { entryPointType: string } ) => p.entryPointType === 'video' );
					expect( e.event.hangoutLink ).toBe( video?.uri );
					return { start: new Date( e.event.start.dateTime ), end: new Date( e.event.end.dateTime ), joinUrl: String( e.event.hangoutLink ), secrets: [] };
				},
				deleted: ( stored ) => google.events.get( eventId( stored ) )?.deleted === true,
			},
			{ first_name: 'Mia', email: 'mia.meet@example.test' }
		);
		// One event, moved with PATCH, deleted once; Google itself mailed nobody (our .ics does that).
		const writes = google.requests.filter( ( r ) => /\/calendar\/v3\/calendars\/[^/]+\/events/.test( r.path ) && r.method !== 'GET' );
		expect( writes.filter( ( r ) => r.method === 'POST' ) ).toHaveLength( 1 );
		expect( writes.filter( ( r ) => r.method === 'PATCH' ).length ).toBeGreaterThanOrEqual( 1 );
		expect( writes.filter( ( r ) => r.method === 'DELETE' ) ).toHaveLength( 1 );
		expect( google.notifications ).toEqual( [] );
	} );
} );

describe( 'the mail relay over real SMTP', () => {
	it( 'refuses an attachment whose content type could inject headers: 400 invalid_request, nothing sent', async () => {
		const body = JSON.stringify( {
			to: [ 'inject@example.test' ],
			subject: 'Injected',
			html: '<p>x</p>',
			idempotency_key: 'inject-1',
			attachments: [ { filename: 'invite.ics', content_type: 'text/calendar\r\nBcc: victim@example.test', content_base64: Buffer.from( 'BEGIN:VCALENDAR' ).toString( 'base64' ) } ],
		} );
		const now = Math.floor( Date.now() / 1000 );
		const signature = await new SignJWT( { body_sha256: createHash( 'sha256' ).update( body ).digest( 'hex' ) } )
			.setProtectedHeader( { alg: 'HS256', typ: 'JWT' } )
			.setIssuer( 'bkx-video-sidecar' )
			.setAudience( 'wordpress' )
			.setIssuedAt( now )
			.setExpirationTime( now + 60 )
			.setJti( randomBytes( 16 ).toString( 'hex' ) )
			.sign( new TextEncoder().encode( stack.secret ) );
		const before = stack.smtp!.connections();
		const res = await fetch( `${ stack.site.url }/?rest_route=/bookingx/v1/video/internal/mail`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-bkx-signature': signature }, body } );
		expect( res.status ).toBe( 400 );
		expect( await res.json() ).toMatchObject( { code: 'invalid_request', data: { status: 400, details: { 'attachments.0.content_type': expect.any( String ) } } } );
		expect( stack.smtp!.connections() ).toBe( before );
		expect( stack.smtp!.messages.filter( ( m ) => m.subject === 'Injected' ) ).toHaveLength( 0 );
	} );
} );

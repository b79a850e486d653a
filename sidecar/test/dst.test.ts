/**
 * Bookings across daylight-saving changes, the whole way through the sidecar: a booking at 10:00 site
 * time on the Sunday of the change and on the Sundays a week before and after, in Europe/London and
 * America/New_York, for the next spring and autumn changes. Each one is stored in UTC, sent to the
 * Zoom fake at the right UTC instant, and invited with an .ics whose DTSTART carries TZID + VTIMEZONE
 * with 10:00 local that ical.js (an independent parser) turns into the same instant. A reschedule
 * across the change keeps 10:00 local and moves the UTC instant by the hour.
 *
 * The expected instants come from the statutory rules (EU: last Sunday of March/October at 01:00
 * UTC; US: second Sunday of March / first Sunday of November at 02:00 local) and fixed offsets, not
 * from a time zone library, so the test checks luxon and the VTIMEZONE data instead of repeating them.
 *
 * calendar.test.ts covers buildInvite() alone and consultations.test.ts the UTC storage on the Fridays
 * and Mondays around the 2026 changes; this file joins them on the Sundays themselves, with Zoom.
 */
import { startZoomFake } from '@bkx-video/platform-fakes';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN, PREFIX, bookingx, call, drainAll, setup, startMailRelay, type TestContext } from './helper';

type ZoomFake = Awaited< ReturnType< typeof startZoomFake > >;

let zoom: ZoomFake;
let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startMailRelay > >;
let bx: ReturnType< typeof bookingx >;
let ids: { seat: number; video: number };

const CREDS = { accountId: 'acct-dst', clientId: 'client-dst', clientSecret: 'secret-dst-0123456789' };

interface ZoneRule {
	zone: 'Europe/London' | 'America/New_York';
	/** UTC offsets in hours. */
	standard: number;
	daylight: number;
	spring( year: number ): Date;
	autumn( year: number ): Date;
}

/** The `n`-th Sunday (1-based; -1 = last) of a month, as a UTC midnight date. */
function sunday( year: number, month: number, n: number ): Date {
	if ( n === -1 ) {
		const last = new Date( Date.UTC( year, month, 0 ) ); // day 0 of the next month
		return new Date( Date.UTC( year, month - 1, last.getUTCDate() - last.getUTCDay() ) );
	}
	const first = new Date( Date.UTC( year, month - 1, 1 ) );
	return new Date( Date.UTC( year, month - 1, 1 + ( ( 7 - first.getUTCDay() ) % 7 ) + 7 * ( n - 1 ) ) );
}

const RULES: ZoneRule[] = [
	{ zone: 'Europe/London', standard: 0, daylight: 1, spring: ( y ) => sunday( y, 3, -1 ), autumn: ( y ) => sunday( y, 10, -1 ) },
	{ zone: 'America/New_York', standard: -5, daylight: -4, spring: ( y ) => sunday( y, 3, 2 ), autumn: ( y ) => sunday( y, 11, 1 ) },
];

interface Case {
	zone: string;
	change: 'spring' | 'autumn';
	/** Site-local date, YYYY-MM-DD. */
	day: string;
	/** 10:00 local as a UTC instant, from the rule. */
	expected: Date;
}

const ymd = ( d: Date ) => d.toISOString().slice( 0, 10 );

/** The next spring and autumn changes whose week-before Sunday is still ahead, and the three Sundays around each. */
function cases( now: Date ): Case[] {
	const out: Case[] = [];
	for ( const rule of RULES ) {
		for ( const change of [ 'spring', 'autumn' ] as const ) {
			let year = now.getUTCFullYear();
			let changeDay = rule[ change ]( year );
			while ( changeDay.getTime() - 7 * 86400_000 < now.getTime() + 86400_000 ) {
				changeDay = rule[ change ]( ++year );
			}
			for ( const week of [ -1, 0, 1 ] ) {
				const day = new Date( changeDay.getTime() + week * 7 * 86400_000 );
				// 10:00 local is after the 01:00–02:00 change, so the change day already has the new offset.
				const summer = change === 'spring' ? week >= 0 : week < 0;
				const offset = summer ? rule.daylight : rule.standard;
				out.push( { zone: rule.zone, change, day: ymd( day ), expected: new Date( day.getTime() + ( 10 - offset ) * 3600_000 ) } );
			}
		}
	}
	return out;
}

beforeAll( async () => {
	zoom = await startZoomFake( { ...CREDS, users: [ 'host@example.test' ] } );
	relay = await startMailRelay();
	ctx = await setup( {
		env: { BKX_VIDEO_MAIL_RELAY_URL: relay.url, BKX_VIDEO_ZOOM_API_URL: zoom.url, BKX_VIDEO_ZOOM_OAUTH_URL: zoom.oauthUrl, BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: '3' },
		clockStart: new Date().toISOString(),
	} );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Summer' );
	ids = { seat: await bx.seat( 'Dr. Summer', provider ), video: await bx.service( 'Video consultation', true ) };
	const res = await call(
		ctx.app,
		ADMIN,
		'PUT',
		'/v1/settings',
		{
			zoom_enabled: true,
			default_platform: 'zoom',
			zoom_account_id: CREDS.accountId,
			zoom_client_id: CREDS.clientId,
			zoom_client_secret: CREDS.clientSecret,
			zoom_user_id: 'host@example.test',
			require_authentication: false,
		},
		ctx.clock.now()
	);
	expect( res.status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
	await relay?.close();
	await zoom?.close();
} );

const drain = () => drainAll( ctx.app );
const setSiteZone = ( zone: string ) => ctx.db.knex( `${ PREFIX }options` ).where( 'option_name', 'timezone_string' ).update( { option_value: zone } );
const rowOf = async ( bookingId: number ) => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
const utc = ( mysql: string ) => new Date( `${ mysql.replace( ' ', 'T' ) }Z` );

/** The .ics of the last mail to `email` whose subject matches, read by ical.js. */
function lastIcs( email: string, subject: RegExp ) {
	const mail = [ ...relay.mails ].reverse().find( ( m ) => ( m.to as string[] ).includes( email ) && subject.test( String( m.subject ) ) ) as
		| { subject: string; attachments: Array< { filename: string; content_type: string; content_base64: string } > }
		| undefined;
	expect( mail, `mail to ${ email } matching ${ subject }` ).toBeDefined();
	const attachment = mail!.attachments[ 0 ]!;
	const text = Buffer.from( attachment.content_base64, 'base64' ).toString( 'utf8' );
	const root = new ICAL.Component( ICAL.parse( text ) );
	const vtz = root.getFirstSubcomponent( 'vtimezone' );
	expect( vtz, 'VTIMEZONE' ).not.toBeNull();
	ICAL.TimezoneService.register( new ICAL.Timezone( vtz! ) );
	const vevent = root.getFirstSubcomponent( 'vevent' )!;
	const event = new ICAL.Event( vevent );
	return {
		mail: mail!,
		contentType: attachment.content_type,
		vtimezone: String( vtz!.getFirstPropertyValue( 'tzid' ) ),
		tzid: String( vevent.getFirstProperty( 'dtstart' )!.getParameter( 'tzid' ) ),
		localStart: String( vevent.getFirstPropertyValue( 'dtstart' ) ),
		localEnd: String( vevent.getFirstPropertyValue( 'dtend' ) ),
		start: event.startDate.toJSDate(),
		end: event.endDate.toJSDate(),
		uid: event.uid,
		sequence: event.sequence,
		text,
	};
}

/** The Zoom create (or update) request of a meeting, parsed. */
const zoomBodies = ( method: 'POST' | 'PATCH', meetingId?: string ) =>
	zoom.requests
		.filter( ( r ) => r.method === method && ( method === 'POST' ? /\/users\/[^/]+\/meetings$/.test( r.path ) : r.path.endsWith( `/meetings/${ meetingId }` ) ) )
		.map( ( r ) => JSON.parse( r.body ) as { start_time: string; timezone: string; duration: number } );

describe( 'daylight-saving changes, booking → UTC row → Zoom → .ics', () => {
	const all = cases( new Date() );

	it( 'plans the next spring and autumn change in both zones, three Sundays each', () => {
		expect( all ).toHaveLength( 12 );
		for ( const c of all ) {
			expect( new Date( `${ c.day }T12:00:00Z` ).getUTCDay(), c.day ).toBe( 0 );
		}
		// The rule's offsets, cross-checked once against the platform's own Intl data.
		for ( const c of all ) {
			const local = new Intl.DateTimeFormat( 'en-GB', { timeZone: c.zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } ).format( c.expected );
			expect( local, `${ c.zone } ${ c.day }` ).toBe( '10:00' );
		}
	} );

	for ( const zone of [ 'Europe/London', 'America/New_York' ] ) {
		it( `keeps 10:00 ${ zone } right on the Sundays before, of and after each change`, async () => {
			await setSiteZone( zone );
			for ( const c of all.filter( ( x ) => x.zone === zone ) ) {
				const label = `${ zone } ${ c.change } ${ c.day }`;
				const email = `dst-${ zone.split( '/' )[ 1 ]!.toLowerCase() }-${ c.day }@example.test`;
				const id = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: `${ c.day } 10:00:00`, end: `${ c.day } 10:30:00`, email } );
				await bx.event( id, 'booking.saved' );
				await drain();

				// Stored in UTC.
				const row = await rowOf( id );
				expect( row, label ).toMatchObject( { platform: 'zoom', status: 'scheduled' } );
				expect( utc( row.scheduled_start ).toISOString(), label ).toBe( c.expected.toISOString() );
				expect( utc( row.scheduled_end ).getTime() - c.expected.getTime(), label ).toBe( 30 * 60_000 );

				// Zoom got the UTC instant (with the site zone for display), and holds it.
				const body = zoomBodies( 'POST' ).at( -1 )!;
				expect( body.start_time, label ).toBe( c.expected.toISOString().replace( /\.000Z$/, 'Z' ) );
				expect( body.timezone, label ).toBe( zone );
				expect( zoom.meetings.get( row.meeting_id )?.start_time, label ).toBe( body.start_time );

				// The invitation: TZID + VTIMEZONE, 10:00 local, the same instant through ical.js.
				const ics = lastIcs( email, /^Your video consultation/ );
				expect( ics.contentType ).toMatch( /^text\/calendar; method=REQUEST/ );
				expect( ics.mail.subject, label ).toContain( ', 10:00 ' );
				expect( ics.tzid, label ).toBe( zone );
				expect( ics.vtimezone, label ).toBe( zone );
				expect( ics.text ).toContain( `DTSTART;TZID=${ zone }:${ c.day.replace( /-/g, '' ) }T100000\r\n` );
				expect( ics.localStart, label ).toBe( `${ c.day }T10:00:00` );
				expect( ics.localEnd, label ).toBe( `${ c.day }T10:30:00` );
				expect( ics.start.toISOString(), label ).toBe( c.expected.toISOString() );
				expect( ics.end.getTime() - ics.start.getTime(), label ).toBe( 30 * 60_000 );
			}
		} );

		it( `moves a 10:00 ${ zone } booking across the spring change: still 10:00 local, one hour earlier in UTC`, async () => {
			await setSiteZone( zone );
			const [ before, , after ] = all.filter( ( x ) => x.zone === zone && x.change === 'spring' );
			expect( after!.expected.getTime() - before!.expected.getTime() ).toBe( 14 * 86400_000 - 3600_000 );
			const email = `dst-move-${ zone.split( '/' )[ 1 ]!.toLowerCase() }@example.test`;
			const id = await bx.booking( { serviceId: ids.video, seatId: ids.seat, start: `${ before!.day } 10:00:00`, end: `${ before!.day } 10:30:00`, email } );
			await bx.event( id, 'booking.saved' );
			await drain();
			const invitation = lastIcs( email, /^Your video consultation/ );
			const { meeting_id: meetingId } = await rowOf( id );

			await bx.setMeta( id, 'booking_start_date', `${ after!.day } 10:00:00` );
			await bx.setMeta( id, 'booking_end_date', `${ after!.day } 10:30:00` );
			await bx.event( id, 'booking.saved' );
			await drain();

			const row = await rowOf( id );
			expect( row.meeting_id ).toBe( meetingId );
			expect( utc( row.scheduled_start ).toISOString() ).toBe( after!.expected.toISOString() );
			const patch = zoomBodies( 'PATCH', meetingId ).at( -1 );
			expect( patch?.start_time ).toBe( after!.expected.toISOString().replace( /\.000Z$/, 'Z' ) );
			expect( zoom.meetings.get( meetingId )?.start_time ).toBe( patch?.start_time );
			const update = lastIcs( email, /^Changed: / );
			expect( update.uid ).toBe( invitation.uid );
			expect( update.sequence ).toBeGreaterThan( invitation.sequence );
			expect( update.localStart ).toBe( `${ after!.day }T10:00:00` );
			expect( update.start.toISOString() ).toBe( after!.expected.toISOString() );
		} );
	}
} );

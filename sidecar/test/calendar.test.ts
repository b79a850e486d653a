/**
 * Invitations as calendars read them: parsed by an independent iCalendar parser (ical.js), with
 * stable UIDs, growing SEQUENCEs, TZID + VTIMEZONE, and correct times across daylight-saving changes.
 */
import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';

import { addToCalendarLinks, buildInvite, type InviteInput } from '../src/services/calendar';

const base: InviteInput = {
	uid: 'bkx-video-consultation-7@clinic.example.test',
	sequence: 0,
	method: 'REQUEST',
	start: new Date( '2026-03-27T10:00:00Z' ),
	end: new Date( '2026-03-27T10:30:00Z' ),
	timezone: 'Europe/London',
	summary: 'Video consultation; follow-up, with Dr. Ada',
	description: 'Join your video consultation: https://clinic.example.test/video-consultation/?bkx_vc=abc',
	url: 'https://clinic.example.test/video-consultation/',
	organizer: { name: 'Dr. Ada Provider', email: 'ada@example.test' },
	attendees: [ { name: 'Cara Customer', email: 'cara@example.test' } ],
	now: new Date( '2026-03-01T12:00:00Z' ),
};

function parse( ics: string ) {
	const root = new ICAL.Component( ICAL.parse( ics ) );
	const tz = root.getFirstSubcomponent( 'vtimezone' );
	if ( tz ) {
		ICAL.TimezoneService.register( new ICAL.Timezone( tz ) );
	}
	const vevent = root.getFirstSubcomponent( 'vevent' )!;
	return { root, vevent, event: new ICAL.Event( vevent ) };
}

describe( 'iCalendar invitations', () => {
	it( 'are valid RFC 5545 with CRLF lines of at most 75 octets', () => {
		const ics = buildInvite( { ...base, summary: `${ 'Ünïcödé '.repeat( 20 ) }consultation` } );
		expect( ics.endsWith( '\r\n' ) || ics.endsWith( 'END:VCALENDAR' ) ).toBe( true );
		for ( const line of ics.split( '\r\n' ) ) {
			expect( Buffer.byteLength( line ) ).toBeLessThanOrEqual( 75 );
		}
		expect( ics ).not.toMatch( /[^\r]\n/ );
		const { event } = parse( ics );
		expect( event.summary ).toContain( 'Ünïcödé Ünïcödé' );
	} );

	it( 'carry METHOD, UID, SEQUENCE, organizer, attendee, the join URL and a UTC DTSTAMP', () => {
		const ics = buildInvite( base );
		const { root, vevent, event } = parse( ics );
		expect( root.getFirstPropertyValue( 'method' ) ).toBe( 'REQUEST' );
		expect( event.uid ).toBe( base.uid );
		expect( event.sequence ).toBe( 0 );
		expect( event.summary ).toBe( base.summary ); // ; and , escaped and read back
		expect( String( vevent.getFirstPropertyValue( 'organizer' ) ) ).toBe( 'mailto:ada@example.test' );
		const attendee = vevent.getFirstProperty( 'attendee' )!;
		expect( String( attendee.getFirstValue() ).toLowerCase() ).toBe( 'mailto:cara@example.test' );
		expect( attendee.getParameter( 'rsvp' ) ).toBe( 'TRUE' );
		expect( vevent.getFirstPropertyValue( 'url' ) ).toBe( base.url );
		expect( ics ).toMatch( /\r\nDTSTAMP:20260301T120000Z\r\n/ );
	} );

	it( 'keep the slot right across daylight-saving changes (London and New York)', () => {
		// London: GMT until 29 March 2026, BST after. New York: EST until 8 March 2026, EDT after.
		for ( const [ zone, utc, local ] of [
			[ 'Europe/London', '2026-03-27T10:00:00Z', '10:00' ],
			[ 'Europe/London', '2026-03-30T09:00:00Z', '10:00' ],
			[ 'America/New_York', '2026-03-06T15:00:00Z', '10:00' ],
			[ 'America/New_York', '2026-03-09T14:00:00Z', '10:00' ],
			[ 'America/New_York', '2026-11-02T15:00:00Z', '10:00' ],
		] as const ) {
			const start = new Date( utc );
			const ics = buildInvite( { ...base, timezone: zone, start, end: new Date( start.getTime() + 30 * 60_000 ) } );
			expect( ics ).toContain( `DTSTART;TZID=${ zone }:` );
			expect( ics ).toContain( `T${ local.replace( ':', '' ) }00\r\n` );
			const { event } = parse( ics );
			expect( event.startDate.toJSDate().toISOString(), `${ zone } ${ utc }` ).toBe( start.toISOString() );
			expect( event.endDate.toJSDate().getTime() - event.startDate.toJSDate().getTime() ).toBe( 30 * 60_000 );
		}
	} );

	it( 'send updates with the same UID and a higher SEQUENCE, and cancellations as CANCEL', () => {
		const update = parse( buildInvite( { ...base, sequence: 1, start: new Date( '2026-03-28T11:00:00Z' ), end: new Date( '2026-03-28T11:30:00Z' ) } ) );
		expect( update.event.uid ).toBe( base.uid );
		expect( update.event.sequence ).toBe( 1 );
		const cancel = parse( buildInvite( { ...base, sequence: 2, method: 'CANCEL' } ) );
		expect( cancel.root.getFirstPropertyValue( 'method' ) ).toBe( 'CANCEL' );
		expect( cancel.vevent.getFirstPropertyValue( 'status' ) ).toBe( 'CANCELLED' );
		expect( cancel.event.sequence ).toBe( 2 );
	} );

	it( 'fall back to UTC times for a zone without a VTIMEZONE', () => {
		const ics = buildInvite( { ...base, timezone: 'UTC+5:30' } );
		expect( ics ).toContain( 'DTSTART:20260327T100000Z' );
		expect( parse( ics ).event.startDate.toJSDate().toISOString() ).toBe( base.start.toISOString() );
	} );

	it( 'build Google and Outlook add-to-calendar links in UTC', () => {
		const links = addToCalendarLinks( { title: 'Consultation', start: base.start, end: base.end, details: 'Join at x', location: base.url } );
		const google = new URL( links.google );
		expect( google.searchParams.get( 'action' ) ).toBe( 'TEMPLATE' );
		expect( google.searchParams.get( 'dates' ) ).toBe( '20260327T100000Z/20260327T103000Z' );
		const outlook = new URL( links.outlook );
		expect( outlook.searchParams.get( 'startdt' ) ).toBe( '2026-03-27T10:00:00Z' );
		expect( outlook.searchParams.get( 'rru' ) ).toBe( 'addevent' );
	} );
} );

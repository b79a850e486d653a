/**
 * iCalendar invitations (RFC 5545 / iTIP RFC 5546) and add-to-calendar links.
 * @link shared/reference/platform-contracts.md §6
 *
 * One stable UID per consultation; SEQUENCE grows with every update or cancellation; times carry the
 * site's TZID with its VTIMEZONE, so calendars keep the slot right across daylight-saving changes.
 */
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import { DateTime } from 'luxon';

export interface InviteInput {
	uid: string;
	sequence: number;
	/** REQUEST/CANCEL for e-mailed invitations (iTIP); PUBLISH for a file the viewer adds themselves. */
	method: 'REQUEST' | 'CANCEL' | 'PUBLISH';
	start: Date;
	end: Date;
	/** IANA zone the event is expressed in (the site's). */
	timezone: string;
	summary: string;
	description: string;
	/** Where to join: our join page (never a platform URL with credentials). */
	url: string;
	/** Required for REQUEST/CANCEL (RFC 5546); a PUBLISHed file may go without. */
	organizer?: { name: string; email: string };
	attendees: Array< { name: string; email: string } >;
	now: Date;
}

const vtimezones = new Map< string, string | null >();
/**
 * The zone's VTIMEZONE, or null for a zone luxon or the tz files do not know. Remembered per zone:
 * the library reads a file for it, and a burst of bookings mails an invitation each.
 */
function vtimezoneOf( zone: string ): string | null {
	let component = vtimezones.get( zone );
	if ( component === undefined ) {
		component = DateTime.now().setZone( zone ).isValid ? getVtimezoneComponent( zone ) : null;
		if ( vtimezones.size < 1000 ) {
			vtimezones.set( zone, component );
		}
	}
	return component;
}

/** The `.ics` text, CRLF line ends and 75-octet folding done by ical-generator. */
export function buildInvite( input: InviteInput ): string {
	// A zone luxon cannot read (e.g. "UTC+5:30" from a bare gmt_offset) falls back to UTC times.
	const zone = vtimezoneOf( input.timezone ) !== null ? input.timezone : 'UTC';
	const calendar = ical( {
		prodId: '-//BookingX//Video Consultation//EN',
		method: { CANCEL: ICalCalendarMethod.CANCEL, PUBLISH: ICalCalendarMethod.PUBLISH, REQUEST: ICalCalendarMethod.REQUEST }[ input.method ],
		...( zone !== 'UTC' ? { timezone: { name: zone, generator: vtimezoneOf } } : {} ),
	} );
	const at = ( d: Date ) => DateTime.fromJSDate( d ).setZone( zone );
	calendar.createEvent( {
		id: input.uid,
		sequence: input.sequence,
		start: at( input.start ),
		end: at( input.end ),
		...( zone !== 'UTC' ? { timezone: zone } : {} ),
		stamp: DateTime.fromJSDate( input.now ).toUTC(),
		summary: input.summary,
		description: input.description,
		location: input.url,
		url: input.url,
		...( input.organizer ? { organizer: input.organizer } : {} ),
		attendees: input.attendees.map( ( a ) => ( {
			name: a.name,
			email: a.email,
			role: ICalAttendeeRole.REQ,
			status: ICalAttendeeStatus.NEEDSACTION,
			rsvp: true,
		} ) ),
		status: input.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
	} );
	// RFC 5545 §3.8.7.2: DTSTAMP is always UTC; ical-generator writes it in the calendar's zone.
	const stamp = `${ input.now.toISOString().replace( /[-:]/g, '' ).slice( 0, 15 ) }Z`;
	return calendar.toString().replace( /^DTSTAMP[^\r\n]*/m, `DTSTAMP:${ stamp }` );
}

const googleTime = ( d: Date ) => `${ d.toISOString().replace( /[-:]/g, '' ).slice( 0, 15 ) }Z`;

/** Add-to-calendar links (unofficial vendor URLs, reference §6.2). */
export function addToCalendarLinks( e: { title: string; start: Date; end: Date; details: string; location: string } ) {
	const google = new URL( 'https://calendar.google.com/calendar/render' );
	google.search = new URLSearchParams( {
		action: 'TEMPLATE',
		text: e.title,
		dates: `${ googleTime( e.start ) }/${ googleTime( e.end ) }`,
		details: e.details,
		location: e.location,
	} ).toString();
	const outlook = new URL( 'https://outlook.office.com/calendar/deeplink/compose' );
	outlook.search = new URLSearchParams( {
		path: '/calendar/action/compose',
		rru: 'addevent',
		subject: e.title,
		startdt: `${ e.start.toISOString().slice( 0, 19 ) }Z`,
		enddt: `${ e.end.toISOString().slice( 0, 19 ) }Z`,
		body: e.details,
		location: e.location,
	} ).toString();
	return { google: google.toString(), outlook: outlook.toString() };
}

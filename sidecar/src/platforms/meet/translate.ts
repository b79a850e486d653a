/**
 * Our meeting input → Calendar v3 event bodies and ids (reference §3.2, §3.3). Pure.
 */
import type { MeetingInput } from '../video-platform';

/** Google's summary has no documented limit; keep it as short as Zoom's topic. */
const SUMMARY_MAX = 200;

/** Private extended properties that mark an event as ours (checked before adopting one after a 409). */
export const BOOKING_PROPERTY = 'bkx_video_booking';
export const SITE_PROPERTY = 'bkx_video_site';

/**
 * The event id we choose for a booking's `generation`-th meeting (§3.2: base32hex `a-v0-9`, 5–1024
 * characters, unique per calendar; a reused id answers 409 `duplicate`). Stable, so a retried
 * create whose answer was lost meets its own event instead of making a second one; the site prefix
 * keeps two sites on one Google account apart. A deleted event keeps its id for ever (it stays
 * readable as `cancelled`, §3.3), so a meeting made again takes the next generation.
 */
export function eventIdFor( idPrefix: string, bookingId: number, generation: number ): string {
	return `${ idPrefix }b${ bookingId }g${ generation }`;
}

/** Stored meeting id: `<calendar id>/<event id>` (calendar ids never contain `/`; event ids neither). */
export function meetingKey( calendarId: string, eventId: string ): string {
	return `${ calendarId }/${ eventId }`;
}

export function parseMeetingKey( key: string, fallbackCalendarId: string ): { calendarId: string; eventId: string } | null {
	const at = key.lastIndexOf( '/' );
	if ( at === -1 ) {
		return key ? { calendarId: fallbackCalendarId, eventId: key } : null;
	}
	if ( at === 0 || at === key.length - 1 ) {
		return null;
	}
	return { calendarId: key.slice( 0, at ), eventId: key.slice( at + 1 ) };
}

/** An IANA zone Google understands; WordPress's `UTC+2` offsets are not (the offset is in dateTime). */
function ianaZone( timezone: string ): string | null {
	if ( ! timezone || /^UTC[+-]/i.test( timezone ) ) {
		return null;
	}
	try {
		new Intl.DateTimeFormat( 'en-US', { timeZone: timezone } );
		return timezone;
	} catch {
		return null;
	}
}

function when( date: Date, timezone: string ): Record< string, string > {
	const zone = ianaZone( timezone );
	return { dateTime: date.toISOString(), ...( zone ? { timeZone: zone } : {} ) };
}

/**
 * The provider as a guest, unless they are the calendar's own account (the organizer): Meet lets
 * invited guests in without knocking. Google mails nobody (`sendUpdates=none`, see the adapter).
 */
function attendees( input: MeetingInput, account: string | null ): Array< Record< string, string > > {
	const email = input.host.email.trim();
	if ( ! email || email.toLowerCase() === ( account ?? '' ).toLowerCase() ) {
		return [];
	}
	return [ { email, ...( input.host.name ? { displayName: input.host.name } : {} ) } ];
}

/** What insert and patch share. */
function common( input: MeetingInput, account: string | null ): Record< string, unknown > {
	return {
		summary: input.topic.slice( 0, SUMMARY_MAX ),
		start: when( input.start, input.timezone ),
		end: when( input.end, input.timezone ),
		attendees: attendees( input, account ),
	};
}

/**
 * `POST /calendars/{calendarId}/events?conferenceDataVersion=1`: the event with our id and a Meet
 * create request (`requestId` new per request, §3.2; the event id is what makes retries safe).
 */
export function insertBody( input: MeetingInput, o: { id: string; idPrefix: string; requestId: string; account: string | null } ): Record< string, unknown > {
	return {
		id: o.id,
		...common( input, o.account ),
		description: 'Video consultation booked through BookingX. The customer has their own join link by e-mail.',
		guestsCanInviteOthers: false,
		guestsCanSeeOtherGuests: false,
		extendedProperties: { private: { [ BOOKING_PROPERTY ]: String( input.bookingId ), [ SITE_PROPERTY ]: o.idPrefix } },
		conferenceData: conferenceRequest( o.requestId ),
	};
}

/** `PATCH …/events/{eventId}?conferenceDataVersion=1`: no `conferenceData`, so the conference stays (§3.3). */
export function patchBody( input: MeetingInput, account: string | null ): Record< string, unknown > {
	return common( input, account );
}

export function conferenceRequest( requestId: string ): Record< string, unknown > {
	return { createRequest: { requestId, conferenceSolutionKey: { type: 'hangoutsMeet' } } };
}

/**
 * Our meeting input and settings → Graph's onlineMeeting bodies (§2.2, §2.3). Pure.
 */
import type { Settings } from '@bkx-video/contracts';

import type { MeetingInput } from '../video-platform';

/** Graph's subject has no documented limit; keep it as short as Zoom's topic. */
const SUBJECT_MAX = 200;

/**
 * §2.2 `lobbyBypassSettings`: with our waiting room on, only the organizer (the provider) skips the
 * lobby and admits the customer; off, everyone walks in. Phone (PSTN) callers follow
 * `teams_allow_pstn_users` either way.
 */
export function lobbyBypass( input: MeetingInput, settings: Settings ): { scope: 'organizer' | 'everyone'; isDialInBypassEnabled: boolean } {
	return { scope: input.waitingRoom ? 'organizer' : 'everyone', isDialInBypassEnabled: settings.teams_allow_pstn_users };
}

/** What create and update share. PATCH must send both times when it changes either (§2.3). */
function common( input: MeetingInput, settings: Settings ): Record< string, unknown > {
	return {
		subject: input.topic.slice( 0, SUBJECT_MAX ),
		startDateTime: input.start.toISOString(),
		endDateTime: input.end.toISOString(),
		lobbyBypassSettings: lobbyBypass( input, settings ),
	};
}

/**
 * The `externalId` of a booking's `generation`-th meeting (Graph's createOrGet key is tenant +
 * organizer + externalId). Stable, so a create whose answer was lost gets the same meeting on the
 * retry; the site key keeps two sites that share an app registration and a provider apart. A
 * meeting made again after a deletion takes the next generation (see the adapter).
 */
export function externalIdFor( siteKey: string, bookingId: number, generation: number ): string {
	return `bkx-${ siteKey }-b${ bookingId }-g${ generation }`;
}

/**
 * `POST /users/{id}/onlineMeetings/createOrGet`: only `externalId`, the subject and the times (it
 * takes no lobby or join settings: the lobby is PATCHed afterwards, the passcode follows the
 * tenant's Teams meeting policy). The organizer is the user in the path.
 */
export function createOrGetBody( input: MeetingInput, externalId: string ): Record< string, unknown > {
	return {
		externalId,
		subject: input.topic.slice( 0, SUBJECT_MAX ),
		startDateTime: input.start.toISOString(),
		endDateTime: input.end.toISOString(),
	};
}

/**
 * `POST /users/{id}/onlineMeetings`, for the settings check's one-off test meeting only (bookings
 * use createOrGet). The organizer is the user in the path (no `participants`: the customer joins
 * as a guest by link). The passcode is server-generated and only asked for; it guards joining by
 * meeting ID, and `joinMeetingIdSettings` cannot change after create (§2.2).
 */
export function createBody( input: MeetingInput, settings: Settings ): Record< string, unknown > {
	return {
		...common( input, settings ),
		joinMeetingIdSettings: { isPasscodeRequired: input.password !== null },
	};
}

/**
 * `PATCH /users/{id}/onlineMeetings/{meetingId}`: no organizer (immutable), no join settings
 * (immutable). Also sent right after createOrGet, for the lobby and for a meeting it returned as
 * made earlier (with the times of then).
 */
export function updateBody( input: MeetingInput, settings: Settings ): Record< string, unknown > {
	return common( input, settings );
}

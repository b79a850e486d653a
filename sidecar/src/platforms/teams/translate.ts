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
 * `POST /users/{id}/onlineMeetings`. The organizer is the user in the path (no `participants`:
 * the customer joins as a guest by link). The passcode is server-generated and only asked for; it
 * guards joining by meeting ID, and `joinMeetingIdSettings` cannot change after create (§2.2).
 */
export function createBody( input: MeetingInput, settings: Settings ): Record< string, unknown > {
	return {
		...common( input, settings ),
		joinMeetingIdSettings: { isPasscodeRequired: input.password !== null },
	};
}

/** `PATCH /users/{id}/onlineMeetings/{meetingId}`: no organizer (immutable), no join settings (immutable). */
export function updateBody( input: MeetingInput, settings: Settings ): Record< string, unknown > {
	return common( input, settings );
}

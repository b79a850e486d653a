/**
 * Our meeting input and settings → Zoom's create/update body (§1.3). Pure.
 */
import type { Settings } from '@bkx-video/contracts';

import type { MeetingInput } from '../video-platform';

/** Marks the meeting as ours and names the booking, so a create whose answer was lost is found. */
export function bookingMarker( bookingId: number ): string {
	return `[bkx-booking:${ bookingId }]`;
}

/** UTC `yyyy-MM-ddTHH:mm:ssZ`, the form Zoom documents for UTC. */
export function zoomTime( date: Date ): string {
	return `${ date.toISOString().slice( 0, 19 ) }Z`;
}

export function meetingBody( input: MeetingInput, settings: Settings ): Record< string, unknown > {
	const duration = Math.max( 1, Math.round( ( input.end.getTime() - input.start.getTime() ) / 60000 ) );
	return {
		topic: input.topic.slice( 0, 200 ),
		type: 2,
		start_time: zoomTime( input.start ),
		duration,
		timezone: input.timezone,
		// Zoom caps the agenda at 2000 characters; ours is short.
		agenda: `Video consultation ${ bookingMarker( input.bookingId ) }`,
		// Max 10 characters from [a-zA-Z0-9@-_*] (§1.3); ours are alphanumeric, 4–10 long.
		...( input.password ? { password: input.password.slice( 0, 10 ) } : {} ),
		settings: {
			waiting_room: settings.zoom_waiting_room && input.waitingRoom,
			join_before_host: settings.zoom_join_before_host,
			mute_upon_entry: settings.zoom_mute_upon_entry,
			auto_recording: settings.auto_recording ? settings.zoom_recording : 'none',
			host_video: true,
			participant_video: true,
		},
	};
}

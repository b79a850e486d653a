/**
 * The built-in room (BRIEF §6): no third-party account. A "meeting" is a room id of ours and,
 * when `password_required`, a password; the room itself lives in the sidecar's signaling hub
 * (rooms/room-hub.ts) while people are in it, and its page is the site's own
 * `/?bkx_video_room=<room>` (the meeting-room block). Access is checked when the page asks for a
 * room ticket (rooms/room-tickets.ts), never by the link alone.
 */
import { randomBytes } from 'node:crypto';

import {
	PlatformError,
	type JoinLink,
	type JoinParticipant,
	type MeetingInput,
	type MeetingRecord,
	type VideoPlatform,
	type VideoPlatformFactory,
} from '../video-platform';

const ROOM_ID = /^r_[a-z0-9]{20}$/;

/** A new room id: 20 characters of [a-z0-9] (about 103 bits), so links cannot be guessed either. */
export function newRoomId(): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
	let id = '';
	for ( const b of randomBytes( 20 ) ) {
		id += alphabet[ b % alphabet.length ];
	}
	return `r_${ id }`;
}

export function isRoomId( value: string ): boolean {
	return ROOM_ID.test( value );
}

export const createWebrtcPlatform: VideoPlatformFactory = ( { settings, urls } ): VideoPlatform => {
	const roomPage = ( room: string ) => `${ urls.site.replace( /\/+$/, '' ) }/?bkx_video_room=${ room }`;
	const record = ( room: string, password: string | null ): MeetingRecord => ( {
		meetingId: room,
		joinUrl: roomPage( room ),
		hostUrl: null,
		password,
		dialInNumbers: [],
	} );

	return {
		id: 'webrtc',
		capabilities: { recordings: false, waitingRoom: true, passwords: true, remote: false, maxParticipants: settings.max_participants },

		async createMeeting( input: MeetingInput ) {
			// The password (when `password_required`) is chosen by the sync, like every platform's.
			return record( newRoomId(), input.password );
		},

		async updateMeeting( meeting: MeetingRecord, input: MeetingInput ) {
			// A moved consultation keeps its room (the invitation's link stays right).
			return record( meeting.meetingId, input.password );
		},

		async deleteMeeting() {
			// Nothing remote: a cancelled consultation gets no more room tickets.
		},

		async getMeetingDetails( meeting: MeetingRecord ) {
			return meeting;
		},

		async getJoinUrl( meeting: MeetingRecord, participant: JoinParticipant ): Promise< JoinLink > {
			const url = new URL( roomPage( meeting.meetingId ) );
			if ( participant.accessToken ) {
				url.searchParams.set( 'bkx_vc', participant.accessToken );
			}
			return { url: url.toString(), expiresAt: null };
		},

		async listRecordings() {
			return [];
		},

		async verifyConnection() {
			if ( ! /^wss?:\/\//.test( urls.roomSignaling ) ) {
				throw new PlatformError( 'not_configured', `The room's signaling address ${ urls.roomSignaling } is not a WebSocket address. Set BKX_VIDEO_SIDECAR_PUBLIC_URL to the sidecar's public https:// address.` );
			}
			const turn = settings.webrtc_turn_servers.length
				? settings.webrtc_turn_secret
					? ` ${ settings.webrtc_turn_servers.length } TURN server(s) get credentials per participant.`
					: ' TURN servers are listed but the TURN secret is empty, so they will refuse participants: enter the static-auth-secret of your TURN server.'
				: ' No TURN server is set: people behind strict firewalls may not connect. Add a TURN server (for example coturn) for reliable calls.';
			if ( settings.webrtc_turn_servers.length && ! settings.webrtc_turn_secret ) {
				throw new PlatformError( 'not_configured', turn.trim() );
			}
			return { detail: `The built-in room is ready: rooms open at ${ urls.site }/?bkx_video_room=… and connect to ${ urls.roomSignaling }/rooms/…/signal.${ turn }` };
		},
	};
};

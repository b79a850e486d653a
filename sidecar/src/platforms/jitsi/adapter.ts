/**
 * Self-hosted Jitsi Meet with prosody token auth.
 *
 * @link shared/reference/platform-contracts.md §4.1 (JWT claims prosody checks), §4.2 (IFrame API)
 *
 * Jitsi has no meeting API: a room exists when someone joins it. "Creating" a meeting picks an
 * unguessable room name; access is the per-person JWT minted at click time.
 */
import { randomBytes } from 'node:crypto';

import { createHs256Signer } from '../../hs256';

import {
	PlatformError,
	type JoinLink,
	type JoinParticipant,
	type MeetingInput,
	type MeetingRecord,
	type VideoPlatform,
	type VideoPlatformFactory,
} from '../video-platform';

/** Room names: `[a-z0-9-]` only, because Jitsi lower-cases and re-encodes them (§4.1). */
export function jitsiRoomName( bookingId: number ): string {
	const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
	const bytes = randomBytes( 12 );
	let suffix = '';
	for ( const b of bytes ) {
		suffix += alphabet[ b % alphabet.length ];
	}
	return `bkx-${ bookingId }-${ suffix }`;
}

export const createJitsiPlatform: VideoPlatformFactory = ( { settings, clock } ): VideoPlatform => {
	const server = settings.jitsi_server_url.replace( /\/+$/, '' );
	const domain = new URL( server ).hostname.toLowerCase();
	// Prepared once per settings snapshot (platforms/registry.ts): every join signs a token.
	const sign = settings.jitsi_app_secret ? createHs256Signer( settings.jitsi_app_secret ) : null;

	const requireConfigured = () => {
		if ( settings.jitsi_jwt_enabled && ( ! settings.jitsi_app_id || ! settings.jitsi_app_secret ) ) {
			throw new PlatformError( 'not_configured', 'Jitsi needs an app ID and app secret when JWT is enabled.' );
		}
	};

	const record = ( room: string, password: string | null ): MeetingRecord => ( {
		meetingId: room,
		joinUrl: `${ server }/${ room }`,
		hostUrl: null,
		password,
		dialInNumbers: [],
	} );

	return {
		id: 'jitsi',
		// Room passwords and the lobby are set by the moderator inside Jitsi; we do not embed the
		// room (yet), so we claim neither and store no password.
		capabilities: { recordings: false, waitingRoom: false, passwords: false, remote: false, maxParticipants: 100 },

		async createMeeting( input: MeetingInput ) {
			requireConfigured();
			return record( jitsiRoomName( input.bookingId ), null );
		},

		async updateMeeting( meeting: MeetingRecord ) {
			requireConfigured();
			// The room is time-independent: nothing to change.
			return record( meeting.meetingId, null );
		},

		async deleteMeeting() {
			// Nothing to delete remotely; tokens stop being minted once the consultation is closed.
		},

		async getMeetingDetails( meeting: MeetingRecord ) {
			return meeting;
		},

		async getJoinUrl( meeting: MeetingRecord, participant: JoinParticipant, validUntil: Date ): Promise< JoinLink > {
			requireConfigured();
			const base = `${ server }/${ meeting.meetingId }`;
			if ( ! settings.jitsi_jwt_enabled || ! sign ) {
				return { url: base, expiresAt: null };
			}
			const isHost = participant.role === 'host';
			// context values must be non-null strings (§4.1: null breaks prosody).
			const now = clock();
			const exp = Math.floor( validUntil.getTime() / 1000 );
			const iat = Math.floor( now.getTime() / 1000 );
			const token = sign( {
				iss: settings.jitsi_app_id,
				aud: 'jitsi',
				sub: domain,
				room: meeting.meetingId,
				iat,
				nbf: iat - 10,
				exp,
				context: {
					user: {
						id: participant.user.id,
						name: participant.user.name || 'Guest',
						email: participant.user.email || '',
						avatar: '',
						affiliation: isHost ? 'owner' : 'member',
						moderator: isHost ? 'true' : 'false',
					},
					features: {
						recording: isHost ? 'true' : 'false',
						livestreaming: 'false',
						transcription: isHost ? 'true' : 'false',
						'file-upload': 'true',
					},
				},
			} );
			return { url: `${ base }?jwt=${ token }`, expiresAt: validUntil };
		},

		async listRecordings() {
			return [];
		},

		async verifyConnection() {
			// Jitsi has no API to ask: check what we can (complete settings, a usable address).
			requireConfigured();
			if ( ! /^https?:$/.test( new URL( server ).protocol ) || ! domain ) {
				throw new PlatformError( 'not_configured', `The Jitsi server URL ${ server } is not a web address. Use the address of your Jitsi Meet server, such as https://meet.example.com.` );
			}
			const signing = settings.jitsi_jwt_enabled
				? ` Room links will be signed for ${ domain } with the app ID ${ settings.jitsi_app_id }.`
				: ' Room links are not signed (JWT is off), so anyone with a link can join.';
			return {
				detail: `The Jitsi settings are complete and the server address ${ server } is valid.${ signing } Jitsi has no API to ask, so whether your server is up and accepts these tokens shows only when someone joins a consultation room.`,
			};
		},
	};
};

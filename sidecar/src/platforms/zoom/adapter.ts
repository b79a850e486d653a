/**
 * Zoom with Server-to-Server OAuth (reference §1 and the §8 correction of the spec's JWT app).
 *
 * Quirks handled here: PATCH answers 204 with no body (we GET afterwards); `start_url` expires, so
 * the host's link is fetched at click time; a create whose answer was lost is found again by the
 * booking marker in the agenda before a retry creates a second meeting.
 */
import { createHash } from 'node:crypto';

import { bearerRequest, requireSettings, tokenRequest } from '../_shared/http';
import {
	PlatformError,
	type JoinLink,
	type JoinParticipant,
	type MeetingInput,
	type MeetingRecord,
	type RemoteRecordingFile,
	type VideoPlatform,
	type VideoPlatformFactory,
} from '../video-platform';
import { ZoomErrorSchema, ZoomMeetingListSchema, ZoomMeetingSchema, ZoomRecordingSchema, ZoomTokenSchema, type ZoomMeeting } from './schemas';
import { bookingMarker, meetingBody } from './translate';

/** Zoom error body → a sentence an admin can act on. */
function describe( status: number, json: unknown, text: string ): string {
	const e = ZoomErrorSchema.safeParse( json );
	const body = e.success ? e.data : {};
	if ( status === 401 && body.error === 'invalid_client' ) {
		return 'Zoom refused the client ID or client secret. Copy them again from your Server-to-Server OAuth app in the Zoom App Marketplace.';
	}
	if ( status === 400 && body.error === 'invalid_request' ) {
		return 'Zoom refused the account ID. Copy the Account ID of your Server-to-Server OAuth app.';
	}
	if ( status === 404 && body.code === 1001 ) {
		return 'Zoom does not know the host user. Set "Zoom host user" to the e-mail or ID of a user on your Zoom account.';
	}
	if ( body.code === 4700 || status === 403 ) {
		return 'The Zoom app lacks a permission (scope). Add meeting:write:admin and meeting:read:admin to the app and activate it again.';
	}
	return `Zoom answered ${ status }${ body.code ? ` (code ${ body.code })` : '' }: ${ body.message ?? body.reason ?? text.slice( 0, 200 ) }`;
}

/**
 * The downloadable files of a Zoom recording body (API answer or `recording.*` webhook object);
 * `token` is the webhook's top-level `download_token` when the body has no `download_access_token`.
 *
 * @throws PlatformError `unavailable` when the body is not a Zoom recording.
 */
export function zoomRecordingFiles( json: unknown, token: string | null = null ): RemoteRecordingFile[] {
	const parsed = ZoomRecordingSchema.safeParse( json );
	if ( ! parsed.success ) {
		throw new PlatformError( 'unavailable', 'Zoom answered with an unexpected recording body.' );
	}
	const r = parsed.data;
	return r.recording_files
		.filter( ( f ) => f.id && f.download_url )
		.map( ( f ) => ( {
			id: f.id!,
			instance: f.meeting_id ?? r.uuid,
			fileType: f.file_type,
			recordingType: f.recording_type ?? null,
			size: f.file_size ?? null,
			downloadUrl: f.download_url!,
			downloadToken: r.download_access_token ?? token,
			status: f.status ?? null,
		} ) );
}

export const createZoomPlatform: VideoPlatformFactory = ( deps ): VideoPlatform => {
	const { settings, tokens, urls, clock, timeoutMs } = deps;
	const api = urls.zoomApi.replace( /\/+$/, '' );
	const tokenKey = `zoom:${ createHash( 'sha256' ).update( `${ settings.zoom_account_id }:${ settings.zoom_client_id }:${ settings.zoom_client_secret }` ).digest( 'hex' ) }`;

	const requireConfigured = () => {
		requireSettings( 'Zoom', [
			[ 'account ID', settings.zoom_account_id ],
			[ 'client ID', settings.zoom_client_id ],
			[ 'client secret', settings.zoom_client_secret ],
			[ 'host user', settings.zoom_user_id ],
		] );
	};

	const fetchToken = async () => {
		const url = new URL( urls.zoomOauth );
		url.searchParams.set( 'grant_type', 'account_credentials' );
		url.searchParams.set( 'account_id', settings.zoom_account_id );
		const res = await tokenRequest( url.toString(), {
			method: 'POST',
			headers: { authorization: `Basic ${ Buffer.from( `${ settings.zoom_client_id }:${ settings.zoom_client_secret }` ).toString( 'base64' ) }` },
			timeoutMs,
			now: clock,
			describe,
		} );
		const token = ZoomTokenSchema.safeParse( res.json );
		if ( ! token.success ) {
			throw new PlatformError( 'unavailable', 'Zoom answered the token request with an unexpected body.' );
		}
		return { value: token.data.access_token, expiresAt: new Date( clock().getTime() + token.data.expires_in * 1000 ) };
	};

	/** An API call with a bearer token; one retry with a new token when Zoom says it is invalid. */
	const call = async ( method: string, path: string, body?: unknown ) => {
		requireConfigured();
		for ( let attempt = 0; ; attempt++ ) {
			const token = await tokens.get( tokenKey, fetchToken );
			try {
				return await bearerRequest( `${ api }${ path }`, {
					method,
					token,
					body,
					timeoutMs,
					now: clock,
					describe,
				} );
			} catch ( error ) {
				// Code 124: the token was revoked or expired early (app deactivated, rotated secret).
				if ( error instanceof PlatformError && error.code === 'unauthorized' && attempt === 0 ) {
					tokens.invalidate( tokenKey, token );
					continue;
				}
				throw error;
			}
		}
	};

	const toRecord = ( m: ZoomMeeting ): MeetingRecord => ( {
		meetingId: m.id,
		joinUrl: m.join_url,
		hostUrl: null, // start_url expires: never stored, fetched at click time.
		password: m.password ?? null,
		dialInNumbers: ( m.settings?.global_dial_in_numbers ?? [] ).map( ( d ) => `${ d.country ?? '' } ${ d.number }`.trim() ),
		...( m.start_time ? { start: new Date( m.start_time ) } : {} ),
		...( m.duration ? { durationMinutes: m.duration } : {} ),
	} );

	const parseMeeting = ( json: unknown ): ZoomMeeting => {
		const parsed = ZoomMeetingSchema.safeParse( json );
		if ( ! parsed.success ) {
			throw new PlatformError( 'unavailable', 'Zoom answered with an unexpected meeting body.' );
		}
		return parsed.data;
	};

	const get = async ( id: string ): Promise< ZoomMeeting | null > => {
		try {
			return parseMeeting( ( await call( 'GET', `/meetings/${ encodeURIComponent( id ) }` ) ).json );
		} catch ( error ) {
			if ( error instanceof PlatformError && error.code === 'not_found' ) {
				return null;
			}
			throw error;
		}
	};

	/** The meeting we created for this booking, if a create reached Zoom but its answer did not. */
	const findByMarker = async ( bookingId: number ): Promise< ZoomMeeting | null > => {
		const marker = bookingMarker( bookingId );
		let pageToken = '';
		for ( let page = 0; page < 20; page++ ) {
			const query = new URLSearchParams( { type: 'upcoming', page_size: '300', ...( pageToken ? { next_page_token: pageToken } : {} ) } );
			const res = await call( 'GET', `/users/${ encodeURIComponent( settings.zoom_user_id ) }/meetings?${ query }` );
			const list = ZoomMeetingListSchema.safeParse( res.json );
			if ( ! list.success ) {
				return null;
			}
			const hit = list.data.meetings.find( ( m ) => m.agenda?.includes( marker ) );
			if ( hit ) {
				return get( hit.id );
			}
			if ( ! list.data.next_page_token ) {
				return null;
			}
			pageToken = list.data.next_page_token;
		}
		return null;
	};

	return {
		id: 'zoom',
		capabilities: { recordings: true, waitingRoom: true, passwords: true, remote: true, maxParticipants: 100 },

		async createMeeting( input: MeetingInput ) {
			try {
				const res = await call( 'POST', `/users/${ encodeURIComponent( settings.zoom_user_id ) }/meetings`, meetingBody( input, settings ) );
				return toRecord( parseMeeting( res.json ) );
			} catch ( error ) {
				// No answer: the meeting may exist. Look before anyone creates it again.
				if ( error instanceof PlatformError && error.transport ) {
					const found = await findByMarker( input.bookingId ).catch( () => null );
					if ( found ) {
						return toRecord( found );
					}
				}
				throw error;
			}
		},

		async updateMeeting( meeting: MeetingRecord, input: MeetingInput ) {
			// PATCH answers 204 without a body (§1.4): read the result back.
			await call( 'PATCH', `/meetings/${ encodeURIComponent( meeting.meetingId ) }`, meetingBody( input, settings ) );
			const updated = await get( meeting.meetingId );
			if ( ! updated ) {
				throw new PlatformError( 'not_found', `Zoom meeting ${ meeting.meetingId } no longer exists.` );
			}
			return toRecord( updated );
		},

		async deleteMeeting( meeting: MeetingRecord ) {
			const path = `/meetings/${ encodeURIComponent( meeting.meetingId ) }`;
			const remove = () => call( 'DELETE', `${ path }?schedule_for_reminder=false&cancel_meeting_reminder=false` );
			try {
				await remove();
			} catch ( error ) {
				// Already gone (3001): the goal is reached.
				if ( error instanceof PlatformError && error.code === 'not_found' ) {
					return;
				}
				// 3002: in progress (a booking cancelled during its meeting). End it for everyone, then delete (§1.4).
				if ( error instanceof PlatformError && error.vendorCode === 3002 ) {
					await call( 'PUT', `${ path }/status`, { action: 'end' } );
					try {
						await remove();
					} catch ( again ) {
						// 3007: an ended meeting cannot be deleted; it is over, which is what we wanted.
						if ( again instanceof PlatformError && ( again.vendorCode === 3007 || again.code === 'not_found' ) ) {
							return;
						}
						throw again;
					}
					return;
				}
				throw error;
			}
		},

		async getMeetingDetails( meeting: MeetingRecord ) {
			const found = await get( meeting.meetingId );
			return found ? toRecord( found ) : null;
		},

		async getJoinUrl( meeting: MeetingRecord, participant: JoinParticipant ): Promise< JoinLink > {
			if ( participant.role !== 'host' ) {
				return { url: meeting.joinUrl, expiresAt: null };
			}
			// The host link expires after about two hours: fetch a fresh one now (§1.3).
			const fresh = await get( meeting.meetingId );
			if ( ! fresh?.start_url ) {
				throw new PlatformError( 'not_found', `Zoom meeting ${ meeting.meetingId } no longer exists.` );
			}
			return { url: fresh.start_url, expiresAt: new Date( clock().getTime() + 2 * 3600_000 ) };
		},

		async listRecordings( meeting: MeetingRecord, instance?: string ) {
			// A uuid that starts with '/' or holds '//' must be encoded twice (§1.5).
			const key = instance ?? meeting.meetingId;
			const once = encodeURIComponent( key );
			const segment = key.startsWith( '/' ) || key.includes( '//' ) ? encodeURIComponent( once ) : once;
			let json: unknown;
			try {
				json = ( await call( 'GET', `/meetings/${ segment }/recordings?include_fields=download_access_token` ) ).json;
			} catch ( error ) {
				// 3301: no recording (yet, or any more).
				if ( error instanceof PlatformError && error.code === 'not_found' ) {
					return [];
				}
				throw error;
			}
			return zoomRecordingFiles( json );
		},

		async verifyConnection() {
			// A token for these exact credentials, then the host user (404 + 1001 when unknown, §1.3).
			const res = await call( 'GET', `/users/${ encodeURIComponent( settings.zoom_user_id ) }` );
			const user = ( res.json ?? {} ) as { email?: unknown };
			const who = typeof user.email === 'string' && user.email ? user.email : settings.zoom_user_id;
			return { detail: `Zoom accepted the account ID, client ID and client secret, and the host user ${ who } is on this Zoom account.` };
		},
	};
};

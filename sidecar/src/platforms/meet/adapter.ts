/**
 * Google Meet through Google Calendar v3 events with `conferenceData` (reference §3), on the
 * OAuth grant (offline refresh token) an admin gave by consent (`platforms/meet/oauth.ts`).
 *
 * The organizer is the connected Google account; events go to the `meet_calendar_id` calendar.
 * The stored meeting id is `<calendar id>/<event id>` so a later change of that setting does not
 * lose existing events. Quirks handled here:
 * - Every call passes `conferenceDataVersion=1` (§3.2: without it Google ignores conference data
 *   on create and may drop it on later modifications).
 * - Every call passes `sendUpdates=none`: we send our own invitations, changes and cancellations
 *   with an `.ics` (the customer's personal link, the provider's join page); Google mailing guests
 *   too would double every one of them.
 * - Conference creation is asynchronous (§3.2): a `pending` create request is polled with
 *   backoff; still pending after that, we wait and retry like a lost answer (the retry finds the
 *   event by its id).
 * - Idempotent create: we choose the event id ({@link eventIdFor}); a retried insert whose first
 *   answer was lost gets 409 `duplicate` and we read the event instead of making a second one.
 *   Deleted events keep their id (readable as `cancelled`, §3.3), so a meeting made again takes
 *   the next generation of the id.
 * - Quotas: 429 or 403 `rateLimitExceeded`/`userRateLimitExceeded` (§3.4) come with no
 *   `Retry-After`; we ask to wait 30–60 s (jitter) and the outbox backs off exponentially.
 * - `invalid_grant` on refresh: the user revoked access or the grant expired; only a new consent
 *   helps, so the error says "reconnect Google".
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { bearerRequest, tokenRequest } from '../_shared/http';
import {
	PlatformError,
	type JoinLink,
	type MeetingInput,
	type MeetingRecord,
	type PlatformGrant,
	type VideoPlatform,
	type VideoPlatformFactory,
} from '../video-platform';
import { GoogleApiErrorSchema, GoogleEventListSchema, GoogleEventSchema, GoogleOAuthErrorSchema, GoogleTokenSchema, type GoogleEvent } from './schemas';
import { BOOKING_PROPERTY, SITE_PROPERTY, conferenceRequest, eventIdFor, insertBody, meetingKey, parseMeetingKey, patchBody } from './translate';

/** The one scope we ask for (§3.1): events on calendars the account may write to. */
export const MEET_SCOPE = 'https://www.googleapis.com/auth/calendar.events';

export const RECONNECT_GOOGLE =
	'An administrator must reconnect Google: Video Consultation → Settings → Google Meet → Connect Google.';

/** Waits between polls of a pending conference (§3.2: interval [U]); about 8 s in all. */
const POLL_DELAYS_MS = [ 250, 500, 1000, 2000, 4000 ];

/** Generations of a booking's event id tried before giving up (each deletion on Google uses one). */
const MAX_GENERATIONS = 25;

const sleep = ( ms: number ) => new Promise< void >( ( resolve ) => setTimeout( resolve, ms ) );

/** Google's quota reasons (§3.4); both come as 403, the newer form as 429. */
const RATE_REASONS = new Set( [ 'rateLimitExceeded', 'userRateLimitExceeded' ] );

/** Token endpoint error (§3.1) → a sentence for the admin. */
export function describeGoogleOAuthError( status: number, json: unknown, text: string ): string {
	const e = GoogleOAuthErrorSchema.safeParse( json );
	const body = e.success ? e.data : {};
	if ( body.error === 'invalid_grant' ) {
		return `Google no longer accepts the stored authorization (${ body.error_description ?? 'invalid_grant' }): access was removed in the Google account, the grant expired, or the password changed. ${ RECONNECT_GOOGLE }`;
	}
	if ( body.error === 'invalid_client' || body.error === 'unauthorized_client' ) {
		return 'Google refused the Meet client ID or client secret. Copy both again from the Google Cloud console (APIs & Services → Credentials → your OAuth client), save, then reconnect Google.';
	}
	if ( body.error === 'redirect_uri_mismatch' ) {
		return 'Google refused the redirect URI: it must be listed exactly under "Authorized redirect URIs" of the OAuth client in the Google Cloud console.';
	}
	return `Google refused the sign-in (HTTP ${ status }${ body.error ? `, ${ body.error }` : '' }): ${ ( body.error_description ?? text ).slice( 0, 200 ) }`;
}

/** Calendar error body (§3.4) → the reason and a sentence for the admin. */
function describeCalendarError( status: number, json: unknown, text: string, calendarId: string ): { reason: string | undefined; message: string } {
	const e = GoogleApiErrorSchema.safeParse( json );
	const reason = e.success ? e.data.error.errors?.[ 0 ]?.reason : undefined;
	const vendorMessage = e.success ? e.data.error.errors?.[ 0 ]?.message ?? e.data.error.message : undefined;
	if ( reason && RATE_REASONS.has( reason ) ) {
		return { reason, message: `Google Calendar's quota is used up for now (${ reason }); the meeting is made after a pause.` };
	}
	if ( status === 401 ) {
		return { reason, message: `Google refused the access token of the connected account. ${ RECONNECT_GOOGLE }` };
	}
	if ( status === 403 && reason === 'insufficientPermissions' ) {
		return { reason, message: `The Google connection lacks calendar access (the calendar box was unchecked on Google's consent page). ${ RECONNECT_GOOGLE }` };
	}
	if ( status === 403 && ( reason === 'forbidden' || reason === 'requiredAccessLevel' ) ) {
		return { reason, message: `The connected Google account may not add events to calendar "${ calendarId }". Set "Meet calendar ID" to primary or to a calendar it owns or may edit.` };
	}
	return { reason, message: `Google Calendar answered ${ status }${ reason ? ` (${ reason })` : '' }: ${ ( vendorMessage ?? text ).slice( 0, 200 ) }` };
}

/** The token cache key of a grant (new credentials or a new grant get new access tokens). */
export function meetTokenKey( clientId: string, clientSecret: string, refreshToken: string ): string {
	return `meet:${ createHash( 'sha256' ).update( `${ clientId }:${ clientSecret }:${ refreshToken }` ).digest( 'hex' ) }`;
}

type ConferenceState = 'success' | 'pending' | 'failure' | 'none';

function conferenceState( ev: GoogleEvent ): ConferenceState {
	if ( joinUrlOf( ev ) ) {
		return 'success';
	}
	const code = ev.conferenceData?.createRequest?.status?.statusCode;
	if ( code === 'pending' ) {
		return 'pending';
	}
	if ( code === 'failure' || ( code === 'success' && ! joinUrlOf( ev ) ) ) {
		return 'failure';
	}
	return 'none';
}

/** §3.2: `hangoutLink`, or the `video` entry point's uri. */
function joinUrlOf( ev: GoogleEvent ): string | null {
	if ( ev.hangoutLink ) {
		return ev.hangoutLink;
	}
	const video = ev.conferenceData?.entryPoints?.find( ( p ) => p.entryPointType === 'video' && p.uri );
	return video?.uri ?? null;
}

export const createMeetPlatform: VideoPlatformFactory = ( deps ): VideoPlatform => {
	const { settings, tokens, urls, clock, timeoutMs, grants } = deps;
	const api = urls.googleCalendar.replace( /\/+$/, '' );
	const calendarId = settings.meet_calendar_id.trim() || 'primary';

	/** The stored grant for the configured client; every refusal names the fix. */
	const loadGrant = async (): Promise< PlatformGrant > => {
		const missing = [
			[ 'client ID', settings.meet_client_id ],
			[ 'client secret', settings.meet_client_secret ],
		].filter( ( [ , v ] ) => ! v ).map( ( [ k ] ) => k );
		if ( missing.length ) {
			throw new PlatformError( 'not_configured', `Google Meet is missing its ${ missing.join( ', ' ) }.` );
		}
		const grant = grants ? await grants.load( 'meet' ) : null;
		if ( ! grant ) {
			throw new PlatformError( 'not_configured', 'Google is not connected yet. An administrator must click Connect Google in Video Consultation → Settings → Google Meet.' );
		}
		if ( grant.clientId !== settings.meet_client_id ) {
			throw new PlatformError( 'unauthorized', `Google was connected with another OAuth client ID than the one saved now. ${ RECONNECT_GOOGLE }` );
		}
		return grant;
	};

	const tokenKey = ( grant: PlatformGrant ) => meetTokenKey( grant.clientId, settings.meet_client_secret, grant.refreshToken );

	const fetchToken = async ( grant: PlatformGrant ) => {
		const res = await tokenRequest( urls.googleToken, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams( {
				client_id: settings.meet_client_id,
				client_secret: settings.meet_client_secret,
				refresh_token: grant.refreshToken,
				grant_type: 'refresh_token',
			} ).toString(),
			timeoutMs,
			now: clock,
			describe: describeGoogleOAuthError,
		} );
		const token = GoogleTokenSchema.safeParse( res.json );
		if ( ! token.success ) {
			throw new PlatformError( 'unavailable', 'Google answered the token request with an unexpected body.' );
		}
		// Usually absent (§3.1 [U]); when Google rotates, the old token stops working soon.
		if ( token.data.refresh_token && token.data.refresh_token !== grant.refreshToken ) {
			await grants?.replaceRefreshToken( 'meet', grant.refreshToken, token.data.refresh_token ).catch( () => undefined );
		}
		return { value: token.data.access_token, expiresAt: new Date( clock().getTime() + token.data.expires_in * 1000 ) };
	};

	/** A Calendar call with a bearer token; one retry with a new token when Google says it is invalid. */
	const call = async ( method: string, path: string, body?: unknown ) => {
		const grant = await loadGrant();
		const key = tokenKey( grant );
		for ( let attempt = 0; ; attempt++ ) {
			const token = await tokens.get( key, () => fetchToken( grant ) );
			// Per call, so concurrent calls never see each other's reason.
			let reason: string | undefined;
			const describe = ( status: number, json: unknown, text: string ): string => {
				const d = describeCalendarError( status, json, text, calendarId );
				reason = d.reason;
				return d.message;
			};
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
				if ( ! ( error instanceof PlatformError ) ) {
					throw error;
				}
				const status = error.status;
				if ( status === 429 || ( status === 403 && reason && RATE_REASONS.has( reason ) ) ) {
					// No documented Retry-After (§3.4): a jittered pause; the outbox backs off further.
					throw new PlatformError( 'rate_limited', error.message, {
						cause: error,
						status,
						vendorCode: reason,
						retryAfterSeconds: error.retryAfterSeconds ?? 30 + Math.floor( Math.random() * 31 ),
					} );
				}
				// authError: expired early or revoked; a fresh token from the refresh token may work.
				if ( status === 401 && attempt === 0 ) {
					tokens.invalidate( key, token );
					continue;
				}
				const code =
					status === 401 || ( status === 403 && reason === 'insufficientPermissions' )
						? 'unauthorized'
						: status === 410
							? 'not_found' // `deleted` (§3.4)
							: error.code;
				throw new PlatformError( code, error.message, {
					cause: error,
					status,
					vendorCode: reason,
					retryAfterSeconds: error.retryAfterSeconds,
					transport: error.transport,
				} );
			}
		}
	};

	const parseEvent = ( json: unknown ): GoogleEvent => {
		const parsed = GoogleEventSchema.safeParse( json );
		if ( ! parsed.success ) {
			throw new PlatformError( 'unavailable', 'Google Calendar answered with an unexpected event body.' );
		}
		return parsed.data;
	};

	const eventsPath = ( calendar: string ) => `/calendars/${ encodeURIComponent( calendar ) }/events`;
	const eventPath = ( calendar: string, eventId: string ) => `${ eventsPath( calendar ) }/${ encodeURIComponent( eventId ) }`;
	/** See the header: conference data always on, Google's own e-mails always off. */
	const WRITE_QUERY = '?conferenceDataVersion=1&sendUpdates=none';

	/** The event, or null when it is gone (404, 410, or readable as `cancelled`). */
	const getEvent = async ( calendar: string, eventId: string ): Promise< GoogleEvent | null > => {
		try {
			const ev = parseEvent( ( await call( 'GET', eventPath( calendar, eventId ) ) ).json );
			return ev.status === 'cancelled' ? null : ev;
		} catch ( error ) {
			if ( error instanceof PlatformError && error.code === 'not_found' ) {
				return null;
			}
			throw error;
		}
	};

	const toRecord = ( calendar: string, ev: GoogleEvent, joinUrl: string ): MeetingRecord => {
		const start = ev.start?.dateTime ? new Date( ev.start.dateTime ) : undefined;
		const end = ev.end?.dateTime ? new Date( ev.end.dateTime ) : undefined;
		const phones = ( ev.conferenceData?.entryPoints ?? [] )
			.filter( ( p ) => p.entryPointType === 'phone' && ( p.label || p.uri ) )
			.map( ( p ) => {
				const number = p.label ?? ( p.uri ?? '' ).replace( /^tel:/, '' );
				return p.pin ? `${ number },,${ p.pin }#` : number;
			} );
		return {
			meetingId: meetingKey( calendar, ev.id ),
			joinUrl,
			hostUrl: null, // Meet has no host link: the organizer signs in to Google.
			password: null, // Meet has no meeting password; the phone PIN is in the dial-in numbers.
			dialInNumbers: phones,
			...( start && ! Number.isNaN( start.getTime() ) ? { start } : {} ),
			...( start && end && ! Number.isNaN( end.getTime() ) ? { durationMinutes: Math.round( ( end.getTime() - start.getTime() ) / 60000 ) } : {} ),
		};
	};

	/**
	 * Waits for the event's Meet link: polls a pending create request, adds a conference to an
	 * event that has none (an adopted or edited event), and gives up on a failed one.
	 */
	const withConference = async ( calendar: string, event: GoogleEvent, onFailure: 'delete' | 'keep' ): Promise< MeetingRecord > => {
		let ev = event;
		let requested = false;
		for ( let poll = 0; ; ) {
			const state = conferenceState( ev );
			if ( state === 'success' ) {
				return toRecord( calendar, ev, joinUrlOf( ev )! );
			}
			if ( state === 'pending' ) {
				if ( poll >= POLL_DELAYS_MS.length ) {
					// The event exists and keeps its id: waiting and retrying finds it again.
					throw new PlatformError( 'unavailable', 'Google is still creating the Meet link; trying again shortly.', { transport: true, retryAfterSeconds: 30 } );
				}
				await sleep( POLL_DELAYS_MS[ poll++ ]! );
				const again = await getEvent( calendar, ev.id );
				if ( ! again ) {
					throw new PlatformError( 'not_found', `Google Calendar event ${ ev.id } was deleted while its Meet link was being made.` );
				}
				ev = again;
				continue;
			}
			if ( state === 'none' && ! requested ) {
				requested = true;
				ev = parseEvent( ( await call( 'PATCH', `${ eventPath( calendar, ev.id ) }${ WRITE_QUERY }`, { conferenceData: conferenceRequest( randomUUID() ) } ) ).json );
				continue;
			}
			if ( onFailure === 'delete' ) {
				await call( 'DELETE', `${ eventPath( calendar, ev.id ) }?sendUpdates=none` ).catch( () => undefined );
			}
			throw new PlatformError(
				'rejected',
				'Google could not add a Google Meet link to the calendar event. Check that the connected Google account may use Google Meet (for Google Workspace: Admin console → Apps → Google Workspace → Google Meet → Meet video settings).'
			);
		}
	};

	/** Whether an event found under our id was made by this site for this booking. */
	const isOurs = ( ev: GoogleEvent, bookingId: number, idPrefix: string ) =>
		ev.extendedProperties?.private?.[ BOOKING_PROPERTY ] === String( bookingId ) && ev.extendedProperties?.private?.[ SITE_PROPERTY ] === idPrefix;

	const create = async ( input: MeetingInput ): Promise< MeetingRecord > => {
		const grant = await loadGrant();
		// Not a booking (the settings check's test meeting): nothing to retry into, a one-off id.
		const oneOff = input.bookingId <= 0;
		for ( let generation = 0; generation < MAX_GENERATIONS; generation++ ) {
			const id = oneOff ? `${ grant.idPrefix }t${ randomBytes( 8 ).toString( 'hex' ) }` : eventIdFor( grant.idPrefix, input.bookingId, generation );
			const body = insertBody( input, { id, idPrefix: grant.idPrefix, requestId: randomUUID(), account: grant.account } );
			let event: GoogleEvent | null;
			try {
				event = parseEvent( ( await call( 'POST', `${ eventsPath( calendarId ) }${ WRITE_QUERY }`, body ) ).json );
			} catch ( error ) {
				if ( ! ( error instanceof PlatformError ) ) {
					throw error;
				}
				if ( error.status === 409 ) {
					// Ours from an earlier try (answer lost): use it. Deleted, or not ours: next id.
					event = await getEvent( calendarId, id );
					if ( ! event || ! isOurs( event, input.bookingId, grant.idPrefix ) ) {
						continue;
					}
				} else if ( error.transport ) {
					// No answer: the event may exist. Look before anyone inserts it again.
					event = await getEvent( calendarId, id ).catch( () => null );
					if ( ! event ) {
						throw error;
					}
				} else {
					throw error;
				}
			}
			return withConference( calendarId, event, 'delete' );
		}
		throw new PlatformError(
			'rejected',
			`Google Calendar already holds ${ MAX_GENERATIONS } deleted events for booking ${ input.bookingId }; empty the calendar's bin or use another calendar.`
		);
	};

	return {
		id: 'meet',
		// Meet's knock-to-join is the organizer's, not settable through Calendar; no passwords, and
		// recordings live in the organizer's Drive (not fetched).
		capabilities: { recordings: false, waitingRoom: false, passwords: false, remote: true, maxParticipants: 100 },

		createMeeting: create,

		async updateMeeting( meeting: MeetingRecord, input: MeetingInput ) {
			const key = parseMeetingKey( meeting.meetingId, calendarId );
			if ( ! key ) {
				throw new PlatformError( 'not_found', `Stored Google Meet id ${ meeting.meetingId } is not readable; a new meeting will be made.` );
			}
			const grant = await loadGrant();
			const ev = parseEvent( ( await call( 'PATCH', `${ eventPath( key.calendarId, key.eventId ) }${ WRITE_QUERY }`, patchBody( input, grant.account ) ) ).json );
			if ( ev.status === 'cancelled' ) {
				// Deleted on Google (or cancelled by us earlier): the booking sync makes a new one.
				throw new PlatformError( 'not_found', `Google Calendar event ${ key.eventId } was deleted.` );
			}
			return withConference( key.calendarId, ev, 'keep' );
		},

		async deleteMeeting( meeting: MeetingRecord ) {
			const key = parseMeetingKey( meeting.meetingId, calendarId );
			if ( ! key ) {
				return;
			}
			try {
				await call( 'DELETE', `${ eventPath( key.calendarId, key.eventId ) }?sendUpdates=none` );
			} catch ( error ) {
				// Already gone (404, 410 `deleted`): the goal is reached.
				if ( error instanceof PlatformError && error.code === 'not_found' ) {
					return;
				}
				throw error;
			}
		},

		async getMeetingDetails( meeting: MeetingRecord ) {
			const key = parseMeetingKey( meeting.meetingId, calendarId );
			if ( ! key ) {
				return null;
			}
			const ev = await getEvent( key.calendarId, key.eventId );
			if ( ! ev ) {
				return null;
			}
			const state = conferenceState( ev );
			if ( state === 'pending' ) {
				return { ...toRecord( key.calendarId, ev, meeting.joinUrl ) };
			}
			// The Meet link was removed from the event on Google: as good as deleted for us.
			return state === 'success' ? toRecord( key.calendarId, ev, joinUrlOf( ev )! ) : null;
		},

		async getJoinUrl( meeting: MeetingRecord ): Promise< JoinLink > {
			// Everyone uses the Meet link; the organizer is recognised by their Google sign-in.
			return { url: meeting.joinUrl, expiresAt: null };
		},

		async listRecordings() {
			return [];
		},

		async verifyConnection() {
			const grant = await loadGrant();
			let res;
			try {
				res = await call( 'GET', `${ eventsPath( calendarId ) }?maxResults=1` );
			} catch ( error ) {
				if ( error instanceof PlatformError && error.code === 'not_found' ) {
					throw new PlatformError(
						'rejected',
						`The connected Google account${ grant.account ? ` (${ grant.account })` : '' } cannot see calendar "${ calendarId }". Set "Meet calendar ID" to primary or to the Calendar ID shown in Google Calendar → Settings → Integrate calendar.`,
						{ cause: error, status: error.status }
					);
				}
				throw error;
			}
			const list = GoogleEventListSchema.safeParse( res.json );
			const name = list.success && list.data.summary ? list.data.summary : calendarId;
			return {
				detail: `Google accepted the connection${ grant.account ? ` of ${ grant.account }` : '' }; meetings go to the calendar "${ name }" (${ calendarId }).`,
			};
		},
	};
};

/**
 * Microsoft Teams through Microsoft Graph with an app-only (client-credentials) token (reference §2).
 *
 * The organizer is the provider: the booking's host e-mail, looked up once per adapter as a Graph
 * user object id (`GET /users/{upn}`; the onlineMeetings paths take the object id, §2.2). The app
 * may only act for users an admin granted an application access policy to; without one Graph
 * answers 403 `Unauthorized`, which we turn into a sentence with the fix.
 *
 * Quirks handled here:
 * - Every meeting call names the organizer (`/users/{organizerId}/onlineMeetings/{id}`), but a
 *   cancellation or a reconcile check only has what we stored. So the stored meeting id is
 *   `<organizer object id>:<Graph meeting id>` ({@link meetingKey}); the Graph id itself is opaque.
 * - PATCH answers 200 with the full object (§8: unlike Zoom's 204), so nothing is read back.
 * - The organizer cannot change (§2.3): a booking moved to another provider gets a new meeting
 *   under that provider and the old one is deleted.
 * - Teams has no host link: the organizer signs in to Teams with the same join URL.
 * - Recordings of meetings made with this standalone API cannot be fetched (§2.4, §8).
 * - Idempotent create: a booking's meeting is made with `POST /users/{id}/onlineMeetings/createOrGet`
 *   (Graph v1.0 onlinemeeting-createorget) and an `externalId` we choose ({@link externalIdFor}:
 *   site key, booking id, generation). Graph's key is tenant + organizer + externalId, and a known
 *   externalId returns the meeting that has it (200) instead of making one (201). So a create whose
 *   answer was lost (the booking sync waits and retries transport errors, no failover) gets the
 *   same meeting on the retry, and a duplicated event cannot make a second one.
 * - createOrGet takes only the subject and the times, so each create is followed by a PATCH with
 *   the lobby settings (and the subject and times again: an existing meeting comes back as it was
 *   made). PATCH is idempotent; a retry after a lost PATCH answer gets the meeting and PATCHes it
 *   again. If the PATCH is refused outright the meeting is deleted before the error goes up, so a
 *   failover leaves nothing behind.
 * - The passcode cannot be asked for: createOrGet takes no `joinMeetingIdSettings`, and they cannot
 *   be changed afterwards (§2.2). Whether a Teams meeting has one follows the tenant's Teams meeting
 *   policy, not `password_required`; we store the passcode Teams generated, if any.
 * - A meeting made again (deleted on Teams and found by reconcile, reopened after a cancellation,
 *   back to a provider who had it before) must not get the deleted one back. What createOrGet does
 *   with a deleted meeting's externalId is not documented: it may make a new meeting, return the
 *   deleted one (whose id then answers 404), or refuse. Our stored state does not say how often a
 *   booking's meeting was made, and the booking sync's re-create path only calls `createMeeting`, so
 *   the adapter walks the generations from 0: the first whose meeting is live (the PATCH succeeds)
 *   and organized by this provider is the booking's; a 404 on the PATCH, a 404/409 on createOrGet
 *   or another organizer's meeting (should externalIds be tenant-wide) moves on to the next. A
 *   booking that was never re-made costs no extra call; each earlier deletion costs one or two.
 * - The settings check's test meeting (booking 0) is a one-off: plain `POST …/onlineMeetings`.
 */
import { createHash } from 'node:crypto';

import {
	PlatformError,
	type JoinLink,
	type MeetingInput,
	type MeetingRecord,
	type VideoPlatform,
	type VideoPlatformFactory,
} from '../video-platform';
import { createGraphClient } from './client';
import { GraphOnlineMeetingSchema, GraphUserSchema, type GraphOnlineMeeting } from './schemas';
import { createBody, createOrGetBody, externalIdFor, updateBody } from './translate';

export { GRAPH_SCOPE } from './client';

/** Generations of a booking's externalId tried before giving up (each re-made meeting uses one). */
const MAX_GENERATIONS = 16;

/** Stored meeting id: the organizer's object id (a GUID, no ':') and Graph's opaque meeting id. */
export function meetingKey( organizerId: string, graphMeetingId: string ): string {
	return `${ organizerId }:${ graphMeetingId }`;
}

export function parseMeetingKey( key: string ): { organizerId: string; graphMeetingId: string } | null {
	const at = key.indexOf( ':' );
	if ( at <= 0 || at === key.length - 1 ) {
		return null;
	}
	return { organizerId: key.slice( 0, at ), graphMeetingId: key.slice( at + 1 ) };
}

export const createTeamsPlatform: VideoPlatformFactory = ( deps ): VideoPlatform => {
	const { settings, clock } = deps;
	/** Without a site key from the caller: one per app registration (not per site). */
	const fallbackSiteKey = `a${ createHash( 'sha256' ).update( `${ settings.teams_tenant_id.toLowerCase() }:${ settings.teams_client_id.toLowerCase() }` ).digest( 'hex' ).slice( 0, 15 ) }`;
	/** Host e-mail → Graph object id, for this adapter's life (a new settings snapshot starts afresh). */
	const organizers = new Map< string, Promise< string > >();

	const graph = createGraphClient( deps );
	const { call, requireConfigured } = graph;

	/** The provider's Graph object id, from the e-mail they sign in to Microsoft 365 with. */
	const organizerId = ( email: string ): Promise< string > => {
		const key = email.trim().toLowerCase();
		if ( ! key ) {
			return Promise.reject(
				new PlatformError( 'not_configured', 'Teams needs the provider\'s e-mail address (their Microsoft 365 sign-in name) to make them the organizer; this booking\'s provider has none.' )
			);
		}
		let pending = organizers.get( key );
		if ( ! pending ) {
			pending = ( async () => {
				try {
					const res = await call( 'GET', `/users/${ encodeURIComponent( key ) }`, key );
					const user = GraphUserSchema.safeParse( res.json );
					if ( ! user.success ) {
						throw new PlatformError( 'unavailable', 'Teams answered the user lookup with an unexpected body.' );
					}
					return user.data.id;
				} catch ( error ) {
					// Unknown user: a refusal (fail over), not a missing meeting (which would be re-created).
					if ( error instanceof PlatformError && error.code === 'not_found' ) {
						throw new PlatformError( 'rejected', `Teams does not know the provider ${ key }. Their WordPress e-mail must be their Microsoft 365 sign-in name (user principal name) in this tenant.`, { cause: error, status: error.status } );
					}
					throw error;
				}
			} )();
			// Only answers are kept; a failed lookup is tried again next time.
			pending.catch( () => organizers.delete( key ) );
			organizers.set( key, pending );
		}
		return pending;
	};

	const parseMeeting = ( json: unknown ): GraphOnlineMeeting => {
		const parsed = GraphOnlineMeetingSchema.safeParse( json );
		if ( ! parsed.success ) {
			throw new PlatformError( 'unavailable', 'Teams answered with an unexpected online meeting body.' );
		}
		return parsed.data;
	};

	const toRecord = ( organizer: string, m: GraphOnlineMeeting ): MeetingRecord => {
		const start = m.startDateTime ? new Date( m.startDateTime ) : undefined;
		const end = m.endDateTime ? new Date( m.endDateTime ) : undefined;
		const audio = m.audioConferencing;
		const conferenceId = audio?.conferenceId ?? audio?.ConferenceId ?? null;
		const numbers = [ ...( audio?.tollNumbers ?? [] ), ...( audio?.tollFreeNumbers ?? [] ), audio?.tollNumber, audio?.tollFreeNumber ]
			.filter( ( n ): n is string => Boolean( n ) );
		return {
			meetingId: meetingKey( organizer, m.id ),
			joinUrl: ( m.joinWebUrl ?? m.joinUrl ) as string,
			hostUrl: null, // Teams has no host link: the organizer signs in.
			password: m.joinMeetingIdSettings?.passcode ?? null,
			dialInNumbers: [ ...new Set( numbers ) ].map( ( n ) => ( conferenceId ? `${ n },,${ conferenceId }#` : n ) ),
			...( start && ! Number.isNaN( start.getTime() ) ? { start } : {} ),
			...( start && end && ! Number.isNaN( end.getTime() ) ? { durationMinutes: Math.round( ( end.getTime() - start.getTime() ) / 60000 ) } : {} ),
		};
	};

	const meetingPath = ( organizer: string, graphMeetingId: string ) =>
		`/users/${ encodeURIComponent( organizer ) }/onlineMeetings/${ encodeURIComponent( graphMeetingId ) }`;

	const remove = async ( key: { organizerId: string; graphMeetingId: string } ) => {
		try {
			await call( 'DELETE', meetingPath( key.organizerId, key.graphMeetingId ), key.organizerId );
		} catch ( error ) {
			// Already gone: the goal is reached.
			if ( error instanceof PlatformError && error.code === 'not_found' ) {
				return;
			}
			throw error;
		}
	};

	/** PATCH answers 200 with the full object (§2.3, §8); read it back only if it did not. */
	const patch = async ( organizer: string, graphMeetingId: string, who: string, body: Record< string, unknown > ): Promise< MeetingRecord > => {
		const res = await call( 'PATCH', meetingPath( organizer, graphMeetingId ), who, body );
		if ( res.json === null ) {
			const again = await call( 'GET', meetingPath( organizer, graphMeetingId ), who );
			return toRecord( organizer, parseMeeting( again.json ) );
		}
		return toRecord( organizer, parseMeeting( res.json ) );
	};

	const create = async ( input: MeetingInput ): Promise< MeetingRecord > => {
		requireConfigured();
		const who = input.host.email;
		const organizer = await organizerId( who );
		const meetings = `/users/${ encodeURIComponent( organizer ) }/onlineMeetings`;
		if ( input.bookingId <= 0 ) {
			// Not a booking (the settings check's test meeting): nothing to retry into.
			return toRecord( organizer, parseMeeting( ( await call( 'POST', meetings, who, createBody( input, settings ) ) ).json ) );
		}
		const siteKey = input.siteKey?.trim() || fallbackSiteKey;
		let last = '';
		for ( let generation = 0; generation < MAX_GENERATIONS; generation++ ) {
			const externalId = externalIdFor( siteKey, input.bookingId, generation );
			let made: GraphOnlineMeeting;
			try {
				made = parseMeeting( ( await call( 'POST', `${ meetings }/createOrGet`, who, createOrGetBody( input, externalId ) ) ).json );
			} catch ( error ) {
				// The externalId of a deleted meeting, refused [U]: the next generation.
				if ( error instanceof PlatformError && ( error.status === 404 || error.status === 409 ) ) {
					last = error.message;
					continue;
				}
				throw error;
			}
			const owner = made.participants?.organizer?.identity?.user?.id;
			if ( owner && owner.toLowerCase() !== organizer.toLowerCase() ) {
				// Another organizer's meeting under this externalId (tenant-wide ids [U]): not ours.
				last = `externalId ${ externalId } belongs to another organizer's meeting`;
				continue;
			}
			try {
				return await patch( organizer, made.id, who, updateBody( input, settings ) );
			} catch ( error ) {
				if ( ! ( error instanceof PlatformError ) ) {
					throw error;
				}
				// createOrGet returned a deleted meeting [U]: the next generation.
				if ( error.code === 'not_found' ) {
					last = error.message;
					continue;
				}
				// Busy or no answer: the sync waits and the retry gets this meeting again.
				if ( error.code === 'rate_limited' || error.transport ) {
					throw error;
				}
				// Refused: the booking may go to another platform; leave no meeting behind.
				await remove( { organizerId: organizer, graphMeetingId: made.id } ).catch( () => undefined );
				throw error;
			}
		}
		throw new PlatformError(
			'rejected',
			`Teams gave no usable meeting for booking ${ input.bookingId } under any of its ${ MAX_GENERATIONS } external IDs (last answer: ${ last.slice( 0, 200 ) }).`
		);
	};

	return {
		id: 'teams',
		// Recordings: not for standalone meetings (§2.4, §8). Passwords: the passcode is Teams' own.
		capabilities: { recordings: false, waitingRoom: true, passwords: false, remote: true, maxParticipants: 1000 },

		createMeeting: create,

		async updateMeeting( meeting: MeetingRecord, input: MeetingInput ) {
			const key = parseMeetingKey( meeting.meetingId );
			if ( ! key ) {
				throw new PlatformError( 'not_found', `Stored Teams meeting id ${ meeting.meetingId } does not name its organizer; a new meeting will be made.` );
			}
			// Without an e-mail for the provider, keep the organizer the meeting has.
			const organizer = input.host.email.trim() ? await organizerId( input.host.email ) : key.organizerId;
			if ( organizer.toLowerCase() !== key.organizerId.toLowerCase() ) {
				// Another provider: the organizer is immutable (§2.3), so make it theirs and drop the old one.
				const made = await create( input );
				await remove( key ).catch( () => undefined );
				return made;
			}
			// 200 with the full updated object (§2.3, §8), unlike Zoom.
			return patch( key.organizerId, key.graphMeetingId, input.host.email, updateBody( input, settings ) );
		},

		async deleteMeeting( meeting: MeetingRecord ) {
			const key = parseMeetingKey( meeting.meetingId );
			if ( key ) {
				await remove( key );
			}
		},

		async getMeetingDetails( meeting: MeetingRecord ) {
			const key = parseMeetingKey( meeting.meetingId );
			if ( ! key ) {
				return null;
			}
			try {
				const res = await call( 'GET', meetingPath( key.organizerId, key.graphMeetingId ), key.organizerId );
				return toRecord( key.organizerId, parseMeeting( res.json ) );
			} catch ( error ) {
				if ( error instanceof PlatformError && error.code === 'not_found' ) {
					return null;
				}
				throw error;
			}
		},

		async getJoinUrl( meeting: MeetingRecord ): Promise< JoinLink > {
			// Everyone uses joinWebUrl; the organizer is recognised by their Teams sign-in.
			return { url: meeting.joinUrl, expiresAt: null };
		},

		async listRecordings() {
			return [];
		},

		async verifyConnection( probe: { organizerEmail?: string } ) {
			requireConfigured();
			const email = probe.organizerEmail?.trim() ?? '';
			if ( ! email ) {
				await graph.token();
				return { detail: 'Microsoft accepted the tenant ID, client ID and client secret. Enter a provider\'s Microsoft 365 e-mail to check that Teams knows them too.' };
			}
			// `GET /users/{upn}` needs User.Read.All but no access policy; the test meeting checks that.
			await organizerId( email );
			return { detail: `Microsoft accepted the tenant ID, client ID and client secret, and knows ${ email } in this tenant.` };
		},
	};
};

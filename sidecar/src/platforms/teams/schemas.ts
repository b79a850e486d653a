/**
 * Microsoft identity platform and Graph payloads we read. @link shared/reference/platform-contracts.md §2
 */
import { z } from 'zod';

/** §2.1: client-credentials token; no refresh token. */
export const GraphTokenSchema = z.object( {
	token_type: z.string(),
	expires_in: z.number().int().positive(),
	access_token: z.string().min( 1 ),
} );

/** §2.1: token error body, `{error, error_description: "AADSTS…: …", error_codes: [n]}`. */
export const AadErrorSchema = z
	.object( { error: z.string().optional(), error_description: z.string().optional(), error_codes: z.array( z.number() ).optional() } )
	.passthrough();

/** §2.6: `{"error":{"code","message","innerError"|"innererror"}}`. Branch on `code`, never on `message`. */
export const GraphErrorSchema = z.object( {
	error: z.object( { code: z.string().optional(), message: z.string().optional() } ).passthrough(),
} );

/** `GET /users/{id | userPrincipalName}`: we need only the object id (the path of §2.2). */
export const GraphUserSchema = z.object( {
	id: z.string().min( 1 ),
	userPrincipalName: z.string().optional(),
	displayName: z.string().nullable().optional(),
} );

/**
 * §2.2 `audioConferencing`: present only when the organizer has dial-in. The doc example spells
 * `ConferenceId`; newer tenants add `tollNumbers[]` / `tollFreeNumbers[]`.
 */
const AudioConferencingSchema = z
	.object( {
		tollNumber: z.string().nullable().optional(),
		tollFreeNumber: z.string().nullable().optional(),
		tollNumbers: z.array( z.string() ).nullable().optional(),
		tollFreeNumbers: z.array( z.string() ).nullable().optional(),
		conferenceId: z.string().nullable().optional(),
		ConferenceId: z.string().nullable().optional(),
		dialinUrl: z.string().nullable().optional(),
	} )
	.passthrough();

/** §2.2/§2.3: the onlineMeeting object (create 201, get 200, PATCH 200 with the full object). */
export const GraphOnlineMeetingSchema = z
	.object( {
		id: z.string().min( 1 ),
		// `joinUrl` is the deprecated duplicate some tenants still send (cal.com reads both).
		joinWebUrl: z.string().nullable().optional(),
		joinUrl: z.string().nullable().optional(),
		subject: z.string().nullable().optional(),
		startDateTime: z.string().nullable().optional(),
		endDateTime: z.string().nullable().optional(),
		joinMeetingIdSettings: z
			.object( { isPasscodeRequired: z.boolean().nullable().optional(), joinMeetingId: z.string().nullable().optional(), passcode: z.string().nullable().optional() } )
			.nullable()
			.optional(),
		audioConferencing: AudioConferencingSchema.nullable().optional(),
		lobbyBypassSettings: z.object( { scope: z.string().optional(), isDialInBypassEnabled: z.boolean().nullable().optional() } ).nullable().optional(),
		/** createOrGet (Graph v1.0 onlinemeeting-createorget): the key we chose. */
		externalId: z.string().nullable().optional(),
		participants: z
			.object( {
				organizer: z
					.object( { identity: z.object( { user: z.object( { id: z.string().nullable().optional() } ).passthrough().nullable().optional() } ).passthrough().nullable().optional() } )
					.passthrough()
					.nullable()
					.optional(),
			} )
			.passthrough()
			.nullable()
			.optional(),
	} )
	.passthrough()
	.refine( ( m ) => Boolean( m.joinWebUrl ?? m.joinUrl ), { message: 'joinWebUrl is missing' } );
export type GraphOnlineMeeting = z.infer< typeof GraphOnlineMeetingSchema >;

/**
 * §2.5: a subscription as `POST /subscriptions` (201) and `PATCH /subscriptions/{id}` (200) answer
 * it. `clientState` is echoed back, so it is never read from here (nor logged).
 */
export const GraphSubscriptionSchema = z
	.object( {
		id: z.string().min( 1 ),
		resource: z.string().optional(),
		expirationDateTime: z.string().min( 1 ),
	} )
	.passthrough();
export type GraphSubscription = z.infer< typeof GraphSubscriptionSchema >;

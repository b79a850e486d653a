/**
 * Google OAuth and Calendar v3 payloads we read. @link shared/reference/platform-contracts.md §3
 */
import { z } from 'zod';

/** §3.1: token answer (code exchange and refresh). A refresh usually carries no new refresh token. */
export const GoogleTokenSchema = z.object( {
	access_token: z.string().min( 1 ),
	expires_in: z.number().int().positive(),
	token_type: z.string().optional(),
	scope: z.string().optional(),
	refresh_token: z.string().min( 1 ).optional(),
} );
export type GoogleToken = z.infer< typeof GoogleTokenSchema >;

/** §3.1: OAuth error body, e.g. `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`. */
export const GoogleOAuthErrorSchema = z
	.object( { error: z.string().optional(), error_description: z.string().optional() } )
	.passthrough();

/** §3.4: `{"error":{"code","message","errors":[{domain,reason,message}],"status"?}}`. Branch on `reason`. */
export const GoogleApiErrorSchema = z.object( {
	error: z
		.object( {
			code: z.number().optional(),
			message: z.string().optional(),
			errors: z.array( z.object( { domain: z.string().optional(), reason: z.string().optional(), message: z.string().optional() } ).passthrough() ).optional(),
			status: z.string().optional(),
		} )
		.passthrough(),
} );

const EventDateTimeSchema = z
	.object( { dateTime: z.string().optional(), date: z.string().optional(), timeZone: z.string().optional() } )
	.passthrough();

/** §3.2: `conferenceData`. Entry points exist only once `createRequest.status.statusCode` is `success`. */
const ConferenceDataSchema = z
	.object( {
		conferenceId: z.string().optional(),
		entryPoints: z
			.array(
				z
					.object( {
						entryPointType: z.string(),
						uri: z.string().optional(),
						label: z.string().optional(),
						pin: z.string().optional(),
						regionCode: z.string().optional(),
					} )
					.passthrough()
			)
			.optional(),
		createRequest: z
			.object( {
				requestId: z.string().optional(),
				status: z.object( { statusCode: z.string() } ).passthrough().optional(),
			} )
			.passthrough()
			.optional(),
	} )
	.passthrough();

/** §3.2/§3.3: the Event resource (insert, get and patch answer it). */
export const GoogleEventSchema = z
	.object( {
		id: z.string().min( 1 ),
		status: z.string().optional(),
		summary: z.string().optional(),
		start: EventDateTimeSchema.optional(),
		end: EventDateTimeSchema.optional(),
		hangoutLink: z.string().optional(),
		conferenceData: ConferenceDataSchema.optional(),
		extendedProperties: z
			.object( { private: z.record( z.string(), z.string() ).optional(), shared: z.record( z.string(), z.string() ).optional() } )
			.passthrough()
			.optional(),
	} )
	.passthrough();
export type GoogleEvent = z.infer< typeof GoogleEventSchema >;

/** `events.list` (Calendar v3; used as the harmless read): `summary` is the calendar's name. */
export const GoogleEventListSchema = z
	.object( { summary: z.string().optional(), timeZone: z.string().optional(), items: z.array( z.unknown() ).optional() } )
	.passthrough();

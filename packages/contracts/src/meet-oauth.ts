/**
 * Connecting Google Meet: the OAuth authorization-code flow the admin app starts (admin only).
 *
 * 1. `POST /platforms/meet/oauth/start` → {@link MeetOAuthStartResponseSchema}: the browser goes to
 *    `authorize_url` (Google's consent page).
 * 2. Google sends the browser back to the redirect URI (the admin screen) with `code` and `state`;
 *    the admin app posts both to `POST /platforms/meet/oauth/exchange`
 *    ({@link MeetOAuthExchangeBodySchema} → {@link MeetOAuthExchangeResponseSchema}).
 * 3. `GET /platforms/meet/oauth` → {@link MeetOAuthStatusSchema}; `DELETE` disconnects.
 *
 * Errors: 400 `invalid_request` (client ID/secret missing, with `data.details` per setting),
 * 400 `oauth_state_invalid` (unknown, expired, used or another admin's state), 400
 * `oauth_code_rejected` (Google refused the code or the client), 503 `platform_unavailable`.
 * The refresh token never leaves the sidecar.
 */
import { z } from 'zod';

export const MeetOAuthStartResponseSchema = z.object( {
	/** Google's consent page with client_id, redirect_uri, scope, state and the PKCE challenge. */
	authorize_url: z.url(),
} );
export type MeetOAuthStartResponse = z.infer< typeof MeetOAuthStartResponseSchema >;

export const MeetOAuthExchangeBodySchema = z
	.object( {
		code: z.string().trim().min( 1, 'Google sent no authorization code.' ).max( 2048 ),
		state: z.string().trim().min( 16, 'The state of this Google sign-in is missing or cut short.' ).max( 256 ),
	} )
	.strict();
export type MeetOAuthExchangeBody = z.infer< typeof MeetOAuthExchangeBodySchema >;

export const MeetOAuthExchangeResponseSchema = z.object( {
	connected: z.literal( true ),
	/** The Google account (its e-mail, the primary calendar's id) or the calendar id; null if unknown. */
	account: z.string().nullable(),
} );
export type MeetOAuthExchangeResponse = z.infer< typeof MeetOAuthExchangeResponseSchema >;

export const MeetOAuthStatusSchema = z.object( {
	connected: z.boolean(),
	account: z.string().nullable(),
	connected_at: z.iso.datetime().nullable(),
} );
export type MeetOAuthStatus = z.infer< typeof MeetOAuthStatusSchema >;

export const MeetOAuthDisconnectResponseSchema = z.object( { connected: z.literal( false ) } );
export type MeetOAuthDisconnectResponse = z.infer< typeof MeetOAuthDisconnectResponseSchema >;

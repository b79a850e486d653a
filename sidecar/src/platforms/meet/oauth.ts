/**
 * Connecting Google: the OAuth 2.0 authorization-code flow with PKCE (S256), offline access and
 * forced consent (reference §3.1), started and finished by an admin in the admin app.
 *
 * `start` remembers a random state (single use, 10 minutes, bound to the admin) and the PKCE
 * verifier in the database, so any sidecar instance can finish it; `exchange` trades the code for
 * tokens, keeps the refresh token encrypted (repositories/platforms-repository.ts) and primes the
 * shared access-token cache. Tokens are never returned, logged or put in an error message.
 *
 * @see packages/contracts/src/meet-oauth.ts for the wire shapes and error codes.
 */
import { createHash, randomBytes } from 'node:crypto';

import type { FastifyBaseLogger } from 'fastify';

import type { MeetOAuthDisconnectResponse, MeetOAuthExchangeBody, MeetOAuthExchangeResponse, MeetOAuthStartResponse, MeetOAuthStatus, Settings } from '@bkx-video/contracts';

import { sha256Hex } from '../../crypto';
import { AppError } from '../../errors';
import type { PlatformsRepository } from '../../repositories/platforms-repository';
import { vendorRequest } from '../_shared/http';
import { PlatformError, type PlatformEnv } from '../video-platform';
import { MEET_SCOPE, meetTokenKey } from './adapter';
import { GoogleEventListSchema, GoogleOAuthErrorSchema, GoogleTokenSchema } from './schemas';

/** How long a started consent may take (the admin signs in to Google meanwhile). */
export const STATE_TTL_SECONDS = 600;

/** Scopes that allow writing events (the broader `calendar` scope includes ours). */
const WRITE_SCOPES = [ MEET_SCOPE, 'https://www.googleapis.com/auth/calendar' ];

export interface MeetOAuthDeps {
	repo: PlatformsRepository;
	settings: { get(): Promise< Settings > };
	platformEnv: PlatformEnv;
	siteUrl: string;
	clock: () => Date;
	log: FastifyBaseLogger;
}

/** The redirect URI Google sends the admin back to: the setting, or our admin screen. */
export function meetRedirectUri( settings: Settings, siteUrl: string ): string {
	return settings.meet_redirect_uri || `${ siteUrl }/wp-admin/admin.php?page=bkx-video&bkx_video_oauth=meet`;
}

/** Code exchange refusals (§3.1) in the admin's words. */
function describeExchangeError( status: number, json: unknown, text: string ): string {
	const e = GoogleOAuthErrorSchema.safeParse( json );
	const body = e.success ? e.data : {};
	switch ( body.error ) {
		case 'invalid_grant':
			return 'Google did not accept the sign-in code: it expired, was used already, or does not belong to this sign-in. Click Connect Google again.';
		case 'invalid_client':
		case 'unauthorized_client':
			return 'Google refused the Meet client ID or client secret. Copy both again from the Google Cloud console (APIs & Services → Credentials → your OAuth client), save, and connect again.';
		case 'redirect_uri_mismatch':
			return 'Google refused the redirect URI. Add it exactly under "Authorized redirect URIs" of the OAuth client in the Google Cloud console, or set "Meet redirect URI" to one listed there.';
		default:
			return `Google refused the sign-in (HTTP ${ status }${ body.error ? `, ${ body.error }` : '' }): ${ ( body.error_description ?? text ).slice( 0, 200 ) }`;
	}
}

const STATE_MESSAGES = {
	unknown: 'This Google sign-in is unknown here. Click Connect Google again.',
	expired: `This Google sign-in took longer than ${ STATE_TTL_SECONDS / 60 } minutes and has expired. Click Connect Google again.`,
	used: 'This Google sign-in has been used already. Click Connect Google again to connect another time.',
	other_user: 'This Google sign-in was started by another administrator; only they can finish it. Click Connect Google to start your own.',
} as const;

export function createMeetOAuth( deps: MeetOAuthDeps ) {
	const { repo, platformEnv, clock, log } = deps;
	const { urls, timeoutMs, tokens } = platformEnv;

	/** @throws AppError invalid_request naming each missing setting. */
	const requireClient = ( settings: Settings ) => {
		const details: Record< string, string > = {};
		if ( ! settings.meet_client_id ) {
			details.meet_client_id = 'Enter the OAuth client ID from the Google Cloud console and save it first.';
		}
		if ( ! settings.meet_client_secret ) {
			details.meet_client_secret = 'Enter the OAuth client secret from the Google Cloud console and save it first.';
		}
		if ( Object.keys( details ).length ) {
			throw new AppError( 'invalid_request', { message: 'Save the Google client ID and client secret before connecting Google.', details } );
		}
	};

	/** The account behind a new access token: the calendar's name (the e-mail for `primary`). */
	const accountOf = async ( accessToken: string, calendarId: string ): Promise< string | null > => {
		const fallback = calendarId === 'primary' ? null : calendarId;
		try {
			const res = await vendorRequest( `${ urls.googleCalendar.replace( /\/+$/, '' ) }/calendars/${ encodeURIComponent( calendarId ) }/events?maxResults=1`, {
				method: 'GET',
				headers: { authorization: `Bearer ${ accessToken }` },
				timeoutMs,
				now: clock,
			} );
			const list = GoogleEventListSchema.safeParse( res.json );
			return calendarId === 'primary' && list.success && list.data.summary ? list.data.summary : fallback;
		} catch {
			return fallback;
		}
	};

	const revoke = async ( token: string ) => {
		await vendorRequest( urls.googleRevoke, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams( { token } ).toString(),
			timeoutMs,
			now: clock,
		} ).catch( () => undefined );
	};

	return {
		/** @throws AppError invalid_request when the client ID or secret is not saved. */
		async start( userId: number ): Promise< MeetOAuthStartResponse > {
			const settings = await deps.settings.get();
			requireClient( settings );
			const now = clock();
			const state = randomBytes( 32 ).toString( 'base64url' );
			// RFC 7636: 43–128 characters of [A-Za-z0-9-._~]; 48 bytes → 64.
			const verifier = randomBytes( 48 ).toString( 'base64url' );
			const redirectUri = meetRedirectUri( settings, deps.siteUrl );
			await repo.saveState(
				'meet',
				{ stateHash: sha256Hex( state ), userId, verifier, redirectUri, expiresAt: new Date( now.getTime() + STATE_TTL_SECONDS * 1000 ) },
				now
			);
			const url = new URL( urls.googleOauth );
			url.searchParams.set( 'client_id', settings.meet_client_id );
			url.searchParams.set( 'redirect_uri', redirectUri );
			url.searchParams.set( 'response_type', 'code' );
			url.searchParams.set( 'scope', MEET_SCOPE );
			// A refresh token (offline), and again on every connect (consent), §3.1.
			url.searchParams.set( 'access_type', 'offline' );
			url.searchParams.set( 'prompt', 'consent' );
			url.searchParams.set( 'state', state );
			url.searchParams.set( 'code_challenge', createHash( 'sha256' ).update( verifier ).digest( 'base64url' ) );
			url.searchParams.set( 'code_challenge_method', 'S256' );
			return { authorize_url: url.toString() };
		},

		/**
		 * Finishes a consent: nothing is stored unless Google hands out a refresh token for our scope.
		 *
		 * @throws AppError oauth_state_invalid, oauth_code_rejected, invalid_request, platform_unavailable.
		 */
		async exchange( userId: number, body: MeetOAuthExchangeBody ): Promise< MeetOAuthExchangeResponse > {
			const settings = await deps.settings.get();
			requireClient( settings );
			const taken = await repo.consumeState( 'meet', sha256Hex( body.state ), userId, clock() );
			if ( ! taken.ok ) {
				throw new AppError( 'oauth_state_invalid', { message: STATE_MESSAGES[ taken.reason ], data: { reason: taken.reason } } );
			}
			let res;
			try {
				res = await vendorRequest( urls.googleToken, {
					method: 'POST',
					headers: { 'content-type': 'application/x-www-form-urlencoded' },
					body: new URLSearchParams( {
						code: body.code,
						client_id: settings.meet_client_id,
						client_secret: settings.meet_client_secret,
						redirect_uri: taken.redirectUri,
						grant_type: 'authorization_code',
						code_verifier: taken.verifier,
					} ).toString(),
					timeoutMs,
					now: clock,
					describe: describeExchangeError,
				} );
			} catch ( error ) {
				if ( error instanceof PlatformError && error.status !== undefined && error.status < 500 ) {
					throw new AppError( 'oauth_code_rejected', { message: error.message, data: { google_status: error.status } } );
				}
				throw new AppError( 'platform_unavailable', {
					message: 'Google could not be reached to finish the sign-in. Click Connect Google again in a minute.',
					retryAfter: 30,
					cause: error,
				} );
			}
			const token = GoogleTokenSchema.safeParse( res.json );
			if ( ! token.success ) {
				throw new AppError( 'platform_unavailable', { message: 'Google answered the sign-in with an unexpected body. Click Connect Google again.', retryAfter: 30 } );
			}
			const granted = ( token.data.scope ?? '' ).split( /\s+/ );
			if ( ! granted.some( ( s ) => WRITE_SCOPES.includes( s ) ) ) {
				await revoke( token.data.access_token );
				throw new AppError( 'oauth_code_rejected', {
					message: 'Google did not grant access to calendar events (the box was unchecked on the consent page). Click Connect Google again and leave the calendar access checked.',
				} );
			}
			if ( ! token.data.refresh_token ) {
				throw new AppError( 'oauth_code_rejected', {
					message: 'Google sent no refresh token. Remove this app under "Third-party apps with account access" in the Google account (myaccount.google.com/permissions), then click Connect Google again.',
				} );
			}
			const calendarId = settings.meet_calendar_id.trim() || 'primary';
			const account = await accountOf( token.data.access_token, calendarId );
			const now = clock();
			await repo.saveGrant(
				'meet',
				{ refreshToken: token.data.refresh_token, clientId: settings.meet_client_id, account, scope: token.data.scope ?? MEET_SCOPE, userId },
				now
			);
			// The first calendar call need not refresh right away.
			const access = { value: token.data.access_token, expiresAt: new Date( now.getTime() + token.data.expires_in * 1000 ) };
			await tokens.get( meetTokenKey( settings.meet_client_id, settings.meet_client_secret, token.data.refresh_token ), async () => access );
			log.info( { actor: userId }, 'Google Meet connected' );
			return { connected: true, account };
		},

		async status(): Promise< MeetOAuthStatus > {
			const c = await repo.connection( 'meet' );
			return { connected: c.connected, account: c.account, connected_at: c.connectedAt ? c.connectedAt.toISOString() : null };
		},

		/** Revokes the grant at Google (best effort: it may be revoked already) and forgets it. */
		async disconnect( userId: number ): Promise< MeetOAuthDisconnectResponse > {
			const grant = await repo.grants.load( 'meet' );
			if ( grant ) {
				await revoke( grant.refreshToken );
				const settings = await deps.settings.get();
				tokens.invalidate( meetTokenKey( grant.clientId, settings.meet_client_secret, grant.refreshToken ) );
			}
			await repo.forgetGrant( 'meet', clock() );
			log.info( { actor: userId }, 'Google Meet disconnected' );
			return { connected: false };
		},
	};
}

export type MeetOAuth = ReturnType< typeof createMeetOAuth >;

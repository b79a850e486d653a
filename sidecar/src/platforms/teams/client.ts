/**
 * Microsoft Graph over an app-only (client-credentials) token (reference §2.1, §2.6): the token,
 * shared with every Graph caller of this instance through the token cache, and one `call` that
 * retries once with a new token and turns Graph's errors into sentences for the admin. Used by the
 * meeting adapter (adapter.ts) and the change-notification subscriptions (subscriptions.ts).
 */
import { createHash } from 'node:crypto';

import { bearerRequest, requireSettings, tokenRequest } from '../_shared/http';
import { PlatformError, type PlatformDeps } from '../video-platform';
import { AadErrorSchema, GraphErrorSchema, GraphTokenSchema } from './schemas';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** Token endpoint error (§2.1) → which credential is wrong, for the admin. */
function describeTokenError( status: number, json: unknown, text: string ): string {
	const e = AadErrorSchema.safeParse( json );
	const body = e.success ? e.data : {};
	const codes = body.error_codes ?? [];
	const aadsts = /AADSTS(\d+)/.exec( body.error_description ?? '' )?.[ 1 ];
	const has = ( n: number ) => codes.includes( n ) || aadsts === String( n );
	if ( has( 90002 ) || has( 900023 ) || has( 90013 ) ) {
		return 'Microsoft does not know the Teams tenant ID. Copy the Directory (tenant) ID from the app registration\'s overview in Microsoft Entra.';
	}
	if ( has( 700016 ) || body.error === 'unauthorized_client' ) {
		return 'Microsoft does not know the Teams client ID in this tenant. Copy the Application (client) ID from the app registration\'s overview in Microsoft Entra.';
	}
	if ( has( 7000222 ) ) {
		return 'The Teams client secret has expired. Create a new client secret in the app registration (Certificates & secrets) and paste its value.';
	}
	if ( has( 7000215 ) || has( 7000218 ) || body.error === 'invalid_client' ) {
		return 'Microsoft refused the Teams client secret. Paste the secret\'s Value (not its Secret ID) from the app registration\'s Certificates & secrets page.';
	}
	const first = ( ( body.error_description ?? text ).split( /\r?\n/ )[ 0 ] ?? '' ).slice( 0, 200 );
	return `Microsoft refused the Teams sign-in (HTTP ${ status }${ body.error ? `, ${ body.error }` : '' }): ${ first }`;
}


/**
 * A Graph client for the Teams settings of `deps`.
 *
 * `call` throws PlatformError: `rejected` (access policy missing, 403), `unauthorized`,
 * `not_found`, `rate_limited` (with Retry-After), `unavailable`, `not_configured`.
 */
export function createGraphClient( deps: Pick< PlatformDeps, 'settings' | 'tokens' | 'urls' | 'clock' | 'timeoutMs' > ) {
	const { settings, tokens, urls, clock, timeoutMs } = deps;
	const api = urls.graphApi.replace( /\/+$/, '' );
	const login = urls.msLogin.replace( /\/+$/, '' );
	const tokenKey = `teams:${ createHash( 'sha256' ).update( `${ settings.teams_tenant_id }:${ settings.teams_client_id }:${ settings.teams_client_secret }` ).digest( 'hex' ) }`;

	const requireConfigured = () => {
		requireSettings( 'Teams', [
			[ 'tenant ID', settings.teams_tenant_id ],
			[ 'client ID', settings.teams_client_id ],
			[ 'client secret', settings.teams_client_secret ],
		] );
	};

	const fetchToken = async () => {
		const res = await tokenRequest( `${ login }/${ encodeURIComponent( settings.teams_tenant_id ) }/oauth2/v2.0/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams( {
				client_id: settings.teams_client_id,
				client_secret: settings.teams_client_secret,
				scope: GRAPH_SCOPE,
				grant_type: 'client_credentials',
			} ).toString(),
			timeoutMs,
			now: clock,
			describe: describeTokenError,
		} );
		const token = GraphTokenSchema.safeParse( res.json );
		if ( ! token.success ) {
			throw new PlatformError( 'unavailable', 'Microsoft answered the Teams token request with an unexpected body.' );
		}
		return { value: token.data.access_token, expiresAt: new Date( clock().getTime() + token.data.expires_in * 1000 ) };
	};

	/**
	 * A Graph call with a bearer token; one retry with a new token when Graph says it is invalid.
	 *
	 * @param who the organizer's e-mail, named in the access-policy message.
	 */
	const call = async ( method: string, path: string, who: string, body?: unknown ) => {
		requireConfigured();
		for ( let attempt = 0; ; attempt++ ) {
			const token = await tokens.get( tokenKey, fetchToken );
			// Per call, so concurrent calls never see each other's error code.
			let graphCode: string | undefined;
			const describe = ( status: number, json: unknown, text: string ): string => {
				const e = GraphErrorSchema.safeParse( json );
				graphCode = e.success ? e.data.error.code : undefined;
				const message = e.success ? e.data.error.message : undefined;
				if ( graphCode === 'Unauthorized' && ( status === 403 || status === 401 ) ) {
					return `Teams refused: the app is not allowed to create meetings for ${ who }. A Microsoft 365 admin must grant an application access policy: New-CsApplicationAccessPolicy -Identity BookingX-Video -AppIds "${ settings.teams_client_id }", then Grant-CsApplicationAccessPolicy -PolicyName BookingX-Video -Identity "${ who }" (or -Global). It can take up to 30 minutes to apply.`;
				}
				if ( status === 403 ) {
					return 'The Teams app lacks a permission. In Microsoft Entra, give the app registration the application permissions OnlineMeetings.ReadWrite.All and User.Read.All, then grant admin consent.';
				}
				return `Teams answered ${ status }${ graphCode ? ` (${ graphCode })` : '' }: ${ message ?? text.slice( 0, 200 ) }`;
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
				// The missing access policy is `Unauthorized` with 403 (or 401 [U]): a refusal to fail
				// over on, not a token to renew.
				if ( graphCode === 'Unauthorized' ) {
					throw new PlatformError( 'rejected', error.message, { cause: error, status: error.status, vendorCode: graphCode } );
				}
				// InvalidAuthenticationToken: revoked or expired early (rotated secret, app disabled).
				if ( error.code === 'unauthorized' && attempt === 0 ) {
					tokens.invalidate( tokenKey, token );
					continue;
				}
				throw new PlatformError( error.code, error.message, {
					cause: error,
					status: error.status,
					retryAfterSeconds: error.retryAfterSeconds,
					transport: error.transport,
					vendorCode: graphCode,
				} );
			}
		}
	};

	return {
		call,
		requireConfigured,
		/** A valid token (from the cache, or a new one). */
		token: () => tokens.get( tokenKey, fetchToken ),
	};
}

export type GraphClient = ReturnType< typeof createGraphClient >;

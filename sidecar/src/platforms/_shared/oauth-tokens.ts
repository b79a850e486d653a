/**
 * Access tokens of every platform, in one place (style.md §4): cached until shortly before they
 * expire, fetched once under concurrency (callers waiting on the same key share one request), and
 * dropped when the platform says a token is no longer valid.
 */
export interface AccessToken {
	value: string;
	/** When it stops being valid (the vendor's `expires_in` from the time it was fetched). */
	expiresAt: Date;
}

/** Refresh this long before the end, as Zoom's own SDK does (reference §1.1). */
const REFRESH_MARGIN_MS = 60_000;

export function createTokenCache( clock: () => Date ) {
	const tokens = new Map< string, AccessToken >();
	const inflight = new Map< string, Promise< AccessToken > >();
	return {
		/**
		 * A valid token for `key` (derived from the credentials, so new credentials get new tokens).
		 *
		 * @throws whatever `fetchToken` throws (callers map it to a PlatformError).
		 */
		async get( key: string, fetchToken: () => Promise< AccessToken > ): Promise< string > {
			const cached = tokens.get( key );
			if ( cached && cached.expiresAt.getTime() - REFRESH_MARGIN_MS > clock().getTime() ) {
				return cached.value;
			}
			let pending = inflight.get( key );
			if ( ! pending ) {
				pending = fetchToken().finally( () => inflight.delete( key ) );
				inflight.set( key, pending );
			}
			const token = await pending;
			tokens.set( key, token );
			return token.value;
		},
		/** Forget a token the platform refused (revoked, app deactivated). */
		invalidate( key: string, value?: string ): void {
			if ( value === undefined || tokens.get( key )?.value === value ) {
				tokens.delete( key );
			}
		},
	};
}

export type TokenCache = ReturnType< typeof createTokenCache >;

/**
 * The transport the client runs over: apiFetch in WordPress, {@link createFetchFetcher} elsewhere.
 */

/** The subset of apiFetch's options the client uses. */
export interface FetcherOptions {
	/** REST path below `/wp-json`, e.g. `/bookingx/v1/video/status`, query string included. */
	path: string;
	method: 'GET' | 'POST' | 'PUT' | 'DELETE';
	/** JSON body. */
	data?: unknown;
	/** apiFetch's flag; the client always wants the parsed JSON (true). */
	parse?: boolean;
	/** Let the request outlive the page (`fetch` keepalive; apiFetch passes it through): saves on `pagehide`. */
	keepalive?: boolean;
}

/**
 * apiFetch-compatible: resolves with the parsed JSON body and rejects with the `WP_Error` body
 * (`{code, message, data:{status}}`) on a non-2xx answer.
 */
export type Fetcher = ( options: FetcherOptions ) => Promise< unknown >;

export interface FetchFetcherOptions {
	/** Site URL without the trailing slash, e.g. `http://127.0.0.1:8881`. */
	baseUrl: string;
	/** Sent with every request (e.g. `Authorization` for an application password, `X-WP-Nonce`). */
	headers?: Record< string, string >;
	/** Defaults to the global `fetch`. */
	fetch?: typeof fetch;
}

/**
 * A {@link Fetcher} over `fetch` for tests and Node, behaving like apiFetch: `path` goes to
 * `${baseUrl}/wp-json${path}`, a non-2xx answer rejects with its JSON body (status added to
 * `data.status` when missing) and a network failure rejects with `{code:'fetch_error'}`.
 */
export function createFetchFetcher( options: FetchFetcherOptions ): Fetcher {
	const base = options.baseUrl.replace( /\/+$/, '' );
	const doFetch = options.fetch ?? globalThis.fetch;
	return async ( { path, method, data, keepalive } ) => {
		const headers: Record< string, string > = { Accept: 'application/json', ...options.headers };
		let body: string | undefined;
		if ( data !== undefined ) {
			headers[ 'Content-Type' ] = 'application/json';
			body = JSON.stringify( data );
		}
		let response: Response;
		try {
			response = await doFetch( `${ base }/wp-json${ path }`, { method, headers, body, ...( keepalive ? { keepalive } : {} ) } );
		} catch ( cause ) {
			// Same shape apiFetch throws when the request never got an answer.
			throw { code: 'fetch_error', message: 'You are probably offline.', data: { status: 0 }, cause };
		}
		const text = await response.text();
		let json: unknown = null;
		let isJson = text === '';
		if ( text !== '' ) {
			try {
				json = JSON.parse( text );
				isJson = true;
			} catch {
				isJson = false;
			}
		}
		if ( response.ok ) {
			if ( ! isJson ) {
				throw {
					code: 'invalid_json',
					message: 'The response is not a valid JSON response.',
					data: { status: response.status },
				};
			}
			return json;
		}
		if ( isJson && typeof json === 'object' && json !== null && 'code' in json ) {
			const err = json as { data?: unknown };
			const errData = typeof err.data === 'object' && err.data !== null ? err.data : {};
			throw { ...json, data: { status: response.status, ...errData } };
		}
		throw {
			code: 'unknown_error',
			message: 'An unknown error occurred.',
			data: { status: response.status },
		};
	};
}

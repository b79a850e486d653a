/**
 * Vendor HTTP with one failure vocabulary: every transport problem or error status becomes a
 * {@link PlatformError} whose code tells the caller whether to fail over, retry later or give up.
 */
import { request, type Dispatcher } from 'undici';

import { PlatformError, type PlatformErrorCode } from '../video-platform';

export interface VendorResponse {
	status: number;
	/** Lower-case names, as Node gives them. */
	headers: Dispatcher.ResponseData[ 'headers' ];
	/** Parsed JSON, or null for an empty or non-JSON body (Zoom sometimes answers XML). */
	json: unknown;
	text: string;
}

/**
 * `Retry-After` as seconds: a number of seconds, or an HTTP/ISO date (Zoom's daily limit sends a
 * timestamp), or undefined when absent or unreadable (the caller backs off instead).
 */
export function retryAfterSeconds( value: string | null, now: Date ): number | undefined {
	if ( ! value ) {
		return undefined;
	}
	if ( /^\d+$/.test( value.trim() ) ) {
		return Number( value.trim() );
	}
	const at = Date.parse( value );
	return Number.isNaN( at ) ? undefined : Math.max( 1, Math.ceil( ( at - now.getTime() ) / 1000 ) );
}

export function codeForStatus( status: number ): PlatformErrorCode {
	if ( status === 401 ) {
		return 'unauthorized';
	}
	if ( status === 404 ) {
		return 'not_found';
	}
	if ( status === 429 ) {
		return 'rate_limited';
	}
	if ( status >= 500 || status === 408 ) {
		return 'unavailable';
	}
	return 'rejected';
}

/**
 * Sends a request; resolves for 2xx, throws a PlatformError otherwise.
 *
 * @param describe turns an error body into a sentence for the admin (vendor specific).
 */
export async function vendorRequest(
	url: string,
	init: {
		method?: string;
		headers?: Record< string, string >;
		body?: string;
		timeoutMs: number;
		now: () => Date;
		describe?: ( status: number, json: unknown, text: string ) => string;
	}
): Promise< VendorResponse > {
	// undici's request rather than fetch: the same client without WHATWG streams, a fraction of the
	// CPU per call when a burst of bookings makes a thousand meetings. Its own timers bound the wait
	// for the answer and for each part of its body (an AbortSignal per call costs an EventTarget and
	// a timer of its own).
	let res: Dispatcher.ResponseData;
	try {
		res = await request( url, {
			method: ( init.method ?? 'GET' ) as Dispatcher.HttpMethod,
			headers: init.headers,
			body: init.body,
			headersTimeout: init.timeoutMs,
			bodyTimeout: init.timeoutMs,
		} );
	} catch ( error ) {
		// Refused: nothing reached the vendor. Dropped or timed out: it may have been applied.
		const e = error as { code?: string; cause?: { code?: string }; message: string };
		const code = e.cause?.code ?? e.code;
		const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND';
		throw new PlatformError( 'unavailable', `No answer from ${ new URL( url ).host }: ${ code ?? e.message }`, { cause: error, transport: ! refused } );
	}
	const text = await res.body.text().catch( () => '' );
	const header = ( name: string ): string | null => {
		const value = res.headers[ name ];
		return ( Array.isArray( value ) ? value[ 0 ] : value ) ?? null;
	};
	let json: unknown = null;
	if ( text && ( header( 'content-type' ) ?? '' ).includes( 'json' ) ) {
		try {
			json = JSON.parse( text );
		} catch {
			json = null;
		}
	}
	if ( res.statusCode >= 200 && res.statusCode < 300 ) {
		return { status: res.statusCode, headers: res.headers, json, text };
	}
	const code = codeForStatus( res.statusCode );
	const message = init.describe?.( res.statusCode, json, text ) ?? `HTTP ${ res.statusCode }`;
	throw new PlatformError( code, message, {
		retryAfterSeconds: code === 'rate_limited' || code === 'unavailable' ? retryAfterSeconds( header( 'retry-after' ), init.now() ) : undefined,
		status: res.statusCode,
		vendorCode: json && typeof json === 'object' && 'code' in json ? ( json as { code: unknown } ).code : undefined,
	} );
}

/**
 * A request to an OAuth token endpoint. Every vendor refuses bad or revoked credentials there with
 * 400 or 401 (Zoom §1.1, Microsoft §2.1, Google §3.1: `invalid_client`, `invalid_grant`, AADSTS…):
 * both mean the saved credentials no longer work, so both become `unauthorized` (integration health)
 * rather than a refusal of one meeting.
 */
export async function tokenRequest( url: string, init: Parameters< typeof vendorRequest >[ 1 ] ): Promise< VendorResponse > {
	try {
		return await vendorRequest( url, init );
	} catch ( error ) {
		if ( error instanceof PlatformError && ( error.status === 400 || error.status === 401 ) ) {
			throw new PlatformError( 'unauthorized', error.message, { cause: error, status: error.status, vendorCode: error.vendorCode } );
		}
		throw error;
	}
}

/** A JSON API call with a bearer token (Zoom, Graph, Google Calendar alike). */
export function bearerRequest(
	url: string,
	o: { method: string; token: string; body?: unknown; timeoutMs: number; now: () => Date; describe?: ( status: number, json: unknown, text: string ) => string }
): Promise< VendorResponse > {
	return vendorRequest( url, {
		method: o.method,
		headers: { authorization: `Bearer ${ o.token }`, ...( o.body === undefined ? {} : { 'content-type': 'application/json' } ) },
		body: o.body === undefined ? undefined : JSON.stringify( o.body ),
		timeoutMs: o.timeoutMs,
		now: o.now,
		describe: o.describe,
	} );
}

/**
 * @throws PlatformError `not_configured` naming every empty setting, e.g. "Zoom is missing its client ID."
 */
export function requireSettings( platform: string, fields: Array< [ label: string, value: string ] > ): void {
	const missing = fields.filter( ( [ , v ] ) => ! v ).map( ( [ k ] ) => k );
	if ( missing.length ) {
		throw new PlatformError( 'not_configured', `${ platform } is missing its ${ missing.join( ', ' ) }.` );
	}
}


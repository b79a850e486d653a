/**
 * The one error type every client method throws.
 *
 * Zod-free on purpose: the lite entry (front-end view scripts) imports it too.
 */
import type { ErrorCode, FieldErrors } from '@bkx-video/contracts';

/** A spec §10 code, or a code only WordPress or the client itself produces. */
export type ApiErrorCode =
	| ErrorCode
	| 'fetch_error'
	| 'invalid_response'
	| 'invalid_json'
	| 'unknown_error'
	| ( string & {} );

export interface ApiErrorInit {
	code: ApiErrorCode;
	message: string;
	/** HTTP status; 0 when no response arrived (network failure) or none is known. */
	status?: number;
	/** Per-field messages from `data.details` (400 `invalid_request`) or from a schema mismatch. */
	details?: FieldErrors;
	/** The raw `data` object of the `WP_Error` (e.g. `opens_at`, `retry_after`, `request_id`). */
	data?: Record< string, unknown >;
	cause?: unknown;
}

/** A failed REST call, normalized from a `WP_Error` body, a network failure or a schema mismatch. */
export class ApiError extends Error {
	readonly code: ApiErrorCode;
	readonly status: number;
	readonly details: FieldErrors | undefined;
	readonly data: Record< string, unknown >;

	constructor( init: ApiErrorInit ) {
		super( init.message, init.cause === undefined ? undefined : { cause: init.cause } );
		this.name = 'ApiError';
		this.code = init.code;
		this.status = init.status ?? 0;
		this.details = init.details;
		this.data = init.data ?? {};
	}
}

export function isApiError( value: unknown ): value is ApiError {
	return value instanceof ApiError;
}

function isRecord( value: unknown ): value is Record< string, unknown > {
	return typeof value === 'object' && value !== null;
}

function stringRecord( value: unknown ): FieldErrors | undefined {
	if ( ! isRecord( value ) ) {
		return undefined;
	}
	const out: FieldErrors = {};
	for ( const [ key, message ] of Object.entries( value ) ) {
		if ( typeof message === 'string' ) {
			out[ key ] = message;
		}
	}
	return out;
}

/**
 * Turns whatever a fetcher threw into an {@link ApiError}.
 *
 * apiFetch throws the parsed `WP_Error` body (`{code, message, data:{status}}`), its own
 * `{code:'fetch_error'}` when offline, and `{code:'invalid_json'}` for a non-JSON body; a plain
 * `fetch` throws a `TypeError` when the network fails. Anything without a code is `fetch_error`.
 */
export function toApiError( thrown: unknown ): ApiError {
	if ( thrown instanceof ApiError ) {
		return thrown;
	}
	// Errors (TypeError from fetch, ECONNREFUSED from Node) are transport failures even when they
	// carry a `code`; only plain objects are WP_Error bodies.
	if ( isRecord( thrown ) && ! ( thrown instanceof Error ) && typeof thrown.code === 'string' ) {
		const data = isRecord( thrown.data ) ? thrown.data : {};
		return new ApiError( {
			code: thrown.code,
			message: typeof thrown.message === 'string' && thrown.message !== '' ? thrown.message : thrown.code,
			status: typeof data.status === 'number' ? data.status : 0,
			details: stringRecord( data.details ),
			data,
			cause: thrown,
		} );
	}
	return new ApiError( {
		code: 'fetch_error',
		message: 'You are probably offline.',
		status: 0,
		cause: thrown,
	} );
}

/**
 * The admin app's API: `@bkx-video/api-client` over apiFetch, with failures normalized to the
 * store's error shape (`{ code, message, status, details }`).
 */
import apiFetch from '@wordpress/api-fetch';
import { createClient } from '@bkx-video/api-client';
import type {
	FieldErrors,
	MeetOAuthDisconnectResponse,
	MeetOAuthExchangeBody,
	MeetOAuthExchangeResponse,
	MeetOAuthStartResponse,
	MeetOAuthStatus,
	PlatformCheckBody,
	PlatformCheckResult,
	PlatformId,
	SettingsUpdate,
	SettingsView,
	SidecarStatus,
} from '@bkx-video/contracts';

/** Same shape as api-client's ApiError: `{ code, message, status, details }`. */
export class ApiError extends Error {
	readonly code: string;
	readonly status: number;
	readonly details: FieldErrors | undefined;

	constructor(
		code: string,
		message: string,
		status = 0,
		details?: FieldErrors
	) {
		super( message );
		this.name = 'ApiError';
		this.code = code;
		this.status = status;
		this.details = details;
	}
}

/** A serializable copy of an ApiError, as the store keeps it. */
export interface ApiErrorShape {
	code: string;
	message: string;
	status: number;
	details?: FieldErrors;
}

function isRecord( value: unknown ): value is Record< string, unknown > {
	return typeof value === 'object' && value !== null;
}

/**
 * Normalizes anything apiFetch (or fetch) may reject with into an ApiError.
 * @param error
 */
export function toApiError( error: unknown ): ApiError {
	if ( error instanceof ApiError ) {
		return error;
	}
	if ( isRecord( error ) && typeof error.code === 'string' ) {
		const data = isRecord( error.data ) ? error.data : {};
		const status =
			typeof data.status === 'number'
				? data.status
				: Number( error.status ) || 0;
		let rawDetails: Record< string, unknown > | undefined;
		if ( isRecord( data.details ) ) {
			rawDetails = data.details;
		} else if ( isRecord( error.details ) ) {
			rawDetails = error.details;
		}
		const details: FieldErrors | undefined = rawDetails
			? Object.fromEntries(
					Object.entries( rawDetails ).map( ( [ k, v ] ) => [
						k,
						String( v ),
					] )
				)
			: undefined;
		return new ApiError(
			error.code,
			typeof error.message === 'string' ? error.message : '',
			status,
			details
		);
	}
	const message = error instanceof Error ? error.message : String( error );
	return new ApiError( 'unknown_error', message );
}

/**
 * Plain-object copy for the store.
 * @param error
 */
export function toErrorShape( error: unknown ): ApiErrorShape {
	const e = toApiError( error );
	const shape: ApiErrorShape = {
		code: e.code,
		message: e.message,
		status: e.status,
	};
	if ( e.details ) {
		shape.details = e.details;
	}
	return shape;
}

/** The typed client over WordPress's apiFetch (nonce and root URL come from core). */
const client = createClient( {
	fetcher: ( options ) => apiFetch( options ),
} );

/**
 * Runs a client call, normalizing any failure into the store's ApiError.
 * @param run
 */
async function call< T >( run: () => Promise< T > ): Promise< T > {
	try {
		return await run();
	} catch ( error ) {
		throw toApiError( error );
	}
}

export const api = {
	settings: {
		get: (): Promise< SettingsView > => call( () => client.settings.get() ),
		update: ( patch: SettingsUpdate ): Promise< SettingsView > =>
			call( () => client.settings.update( patch ) ),
	},
	status: {
		get: (): Promise< SidecarStatus > => call( () => client.status.get() ),
	},
	platforms: {
		check: (
			platform: PlatformId,
			body: PlatformCheckBody
		): Promise< PlatformCheckResult > =>
			call( () => client.platforms.check( platform, body ) ),
		meetOAuth: {
			start: (): Promise< MeetOAuthStartResponse > =>
				call( () => client.platforms.meetOAuth.start() ),
			exchange: (
				body: MeetOAuthExchangeBody
			): Promise< MeetOAuthExchangeResponse > =>
				call( () => client.platforms.meetOAuth.exchange( body ) ),
			status: (): Promise< MeetOAuthStatus > =>
				call( () => client.platforms.meetOAuth.status() ),
			disconnect: (): Promise< MeetOAuthDisconnectResponse > =>
				call( () => client.platforms.meetOAuth.disconnect() ),
		},
	},
};

export type AdminApi = typeof api;

/**
 * The typed client: every response is parsed with its contract schema.
 */
import {
	CalendarEntrySchema,
	ConsultationViewSchema,
	JoinResponseSchema,
	MeetOAuthDisconnectResponseSchema,
	MeetOAuthExchangeResponseSchema,
	MeetOAuthStartResponseSchema,
	MeetOAuthStatusSchema,
	PlatformCheckResultSchema,
	SettingsViewSchema,
	SidecarStatusSchema,
	fieldErrorsFromIssues,
} from '@bkx-video/contracts';
import type {
	CalendarEntry,
	ConsultationView,
	JoinResponse,
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

import { ApiError } from './api-error';
import type { Fetcher } from './fetcher';
import { paths } from './paths';
import type { AccessOptions } from './paths';
import { send } from './request';

export interface ClientOptions {
	/** `apiFetch` in WordPress, {@link createFetchFetcher} in tests and Node. */
	fetcher: Fetcher;
}

export interface Client {
	consultations: {
		/** The viewer's next consultation (GET …/consultations/current). */
		current( options?: AccessOptions ): Promise< ConsultationView >;
		get( id: number, options?: AccessOptions ): Promise< ConsultationView >;
		/** Mints a join URL for this viewer (POST …/consultations/{id}/join). */
		join( id: number, options?: AccessOptions ): Promise< JoinResponse >;
		/** "Add to calendar": the `.ics` and Google/Outlook links (GET …/consultations/{id}/calendar). */
		calendar( id: number, options?: AccessOptions ): Promise< CalendarEntry >;
	};
	settings: {
		get(): Promise< SettingsView >;
		/** PUT a subset; secrets: string sets, `null` clears, absent keeps. */
		update( patch: SettingsUpdate ): Promise< SettingsView >;
	};
	status: {
		get(): Promise< SidecarStatus >;
	};
	platforms: {
		/**
		 * Runs one setup-wizard step against the saved settings (POST …/platforms/{platform}/check).
		 * A vendor refusal resolves with `ok: false` and the sentence for the admin; it does not throw.
		 */
		check( platform: PlatformId, body: PlatformCheckBody ): Promise< PlatformCheckResult >;
		/** Google Meet's OAuth connection (…/platforms/meet/oauth…). */
		meetOAuth: {
			/** Where to send the browser for Google's consent (POST …/oauth/start). */
			start(): Promise< MeetOAuthStartResponse >;
			/** Trades the `code` and `state` Google sent back (POST …/oauth/exchange). */
			exchange( body: MeetOAuthExchangeBody ): Promise< MeetOAuthExchangeResponse >;
			/** Whether a Google account is connected (GET …/oauth). */
			status(): Promise< MeetOAuthStatus >;
			/** Forgets (and revokes) the connection (DELETE …/oauth). */
			disconnect(): Promise< MeetOAuthDisconnectResponse >;
		};
	};
}

/** What the client needs of a zod schema (the package does not import zod itself). */
interface Schema< T > {
	safeParse(
		value: unknown
	):
		| { success: true; data: T }
		| { success: false; error: { issues: Parameters< typeof fieldErrorsFromIssues >[ 0 ] } };
}

/**
 * @throws {ApiError} `invalid_response` (with `details` per field) when the body does not match.
 */
function parseWith< T >( schema: Schema< T >, body: unknown ): T {
	const result = schema.safeParse( body );
	if ( result.success ) {
		return result.data;
	}
	throw new ApiError( {
		code: 'invalid_response',
		message: 'The server answered with data this page does not understand.',
		status: 0,
		details: fieldErrorsFromIssues( result.error.issues ),
		cause: result.error,
	} );
}

/**
 * Creates the typed client for the `bookingx/v1/video` routes.
 *
 * Every method throws {@link ApiError}: the server's `WP_Error` code (`meeting_not_found`,
 * `forbidden`, `platform_unavailable`, …), `fetch_error` when no answer arrived, or
 * `invalid_response` when the answer does not match the contract.
 */
export function createClient( { fetcher }: ClientOptions ): Client {
	return {
		consultations: {
			current: async ( options ) =>
				parseWith( ConsultationViewSchema, await send( fetcher, { path: paths.current( options ), method: 'GET' } ) ),
			get: async ( id, options ) =>
				parseWith( ConsultationViewSchema, await send( fetcher, { path: paths.consultation( id, options ), method: 'GET' } ) ),
			join: async ( id, options ) =>
				parseWith( JoinResponseSchema, await send( fetcher, { path: paths.join( id, options ), method: 'POST' } ) ),
			calendar: async ( id, options ) =>
				parseWith( CalendarEntrySchema, await send( fetcher, { path: paths.calendar( id, options ), method: 'GET' } ) ),
		},
		settings: {
			get: async () =>
				parseWith( SettingsViewSchema, await send( fetcher, { path: paths.settings(), method: 'GET' } ) ),
			update: async ( patch ) =>
				parseWith( SettingsViewSchema, await send( fetcher, { path: paths.settings(), method: 'PUT', data: patch } ) ),
		},
		status: {
			get: async () =>
				parseWith( SidecarStatusSchema, await send( fetcher, { path: paths.status(), method: 'GET' } ) ),
		},
		platforms: {
			check: async ( platform, body ) =>
				parseWith( PlatformCheckResultSchema, await send( fetcher, { path: paths.platformCheck( platform ), method: 'POST', data: body } ) ),
			meetOAuth: {
				start: async () =>
					parseWith( MeetOAuthStartResponseSchema, await send( fetcher, { path: paths.meetOAuthStart(), method: 'POST' } ) ),
				exchange: async ( body ) =>
					parseWith( MeetOAuthExchangeResponseSchema, await send( fetcher, { path: paths.meetOAuthExchange(), method: 'POST', data: body } ) ),
				status: async () =>
					parseWith( MeetOAuthStatusSchema, await send( fetcher, { path: paths.meetOAuth(), method: 'GET' } ) ),
				disconnect: async () =>
					parseWith( MeetOAuthDisconnectResponseSchema, await send( fetcher, { path: paths.meetOAuth(), method: 'DELETE' } ) ),
			},
		},
	};
}

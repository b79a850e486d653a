/**
 * Graph change-notification subscriptions for a Teams meeting's call events (reference §2.5):
 * created, renewed, reauthorized and deleted here; what to subscribe and when is decided by
 * services/teams-subscriptions.ts.
 *
 * Quirks:
 * - The call events (CallStarted, CallEnded, CallRosterUpdate) are a **beta** Graph feature; the
 *   resource is `/communications/onlineMeetings/?$filter=JoinWebUrl eq '{JoinWebUrl}'` with the
 *   join URL URL-encoded (Graph's example encodes it; the fake accepts either), `changeType`
 *   `updated`. We call it on the configured Graph base (v1.0 by default) as the reference does.
 * - Teams subscriptions live at most 60 minutes without a lifecycle URL; we always give one and
 *   still ask for less than an hour, so a renewal job is needed while the meeting may run.
 * - Before answering 201, Graph POSTs `?validationToken=` to both URLs and needs the token back
 *   as text/plain within 10 s: the WordPress route must reach the sidecar while we wait here.
 * - A renewal (`PATCH`) or reauthorization of a subscription Graph already dropped answers 404:
 *   the caller subscribes again.
 */
import { PlatformError, type PlatformDeps } from '../video-platform';
import { createGraphClient } from './client';
import { GraphSubscriptionSchema } from './schemas';

/** The call-event resource of a meeting (§2.5), by its join URL. */
export function callEventsResource( joinWebUrl: string ): string {
	return `/communications/onlineMeetings/?$filter=JoinWebUrl eq '${ encodeURIComponent( joinWebUrl ) }'`;
}

export interface SubscriptionRequest {
	joinWebUrl: string;
	notificationUrl: string;
	lifecycleNotificationUrl: string;
	/** Random, ≤ 128 characters; Graph sends it back with every notification. Never logged. */
	clientState: string;
	expiresAt: Date;
}

export interface SubscriptionAnswer {
	id: string;
	expiresAt: Date;
}

const parse = ( json: unknown, fallbackExpiry: Date ): SubscriptionAnswer => {
	const s = GraphSubscriptionSchema.safeParse( json );
	if ( ! s.success ) {
		throw new PlatformError( 'unavailable', 'Teams answered the subscription request with an unexpected body.' );
	}
	const at = Date.parse( s.data.expirationDateTime );
	return { id: s.data.id, expiresAt: Number.isNaN( at ) ? fallbackExpiry : new Date( at ) };
};

/**
 * Subscription calls with the Teams settings of `deps`. Each throws PlatformError (`not_found` when
 * Graph no longer has the subscription, `rate_limited`, `rejected`, `unavailable`, `not_configured`).
 */
export function createTeamsSubscriptions( deps: Pick< PlatformDeps, 'settings' | 'tokens' | 'urls' | 'clock' | 'timeoutMs' > ) {
	const graph = createGraphClient( deps );
	const path = ( id: string ) => `/subscriptions/${ encodeURIComponent( id ) }`;
	return {
		requireConfigured: graph.requireConfigured,

		/** `POST /subscriptions` → 201 (after Graph's validation handshake with our URLs). */
		async create( r: SubscriptionRequest ): Promise< SubscriptionAnswer > {
			const res = await graph.call( 'POST', '/subscriptions', 'the subscription', {
				changeType: 'updated',
				notificationUrl: r.notificationUrl,
				lifecycleNotificationUrl: r.lifecycleNotificationUrl,
				resource: callEventsResource( r.joinWebUrl ),
				expirationDateTime: r.expiresAt.toISOString(),
				clientState: r.clientState,
			} );
			return parse( res.json, r.expiresAt );
		},

		/** `PATCH /subscriptions/{id}` with a new expiry → 200 with the subscription. */
		async renew( id: string, expiresAt: Date ): Promise< SubscriptionAnswer > {
			const res = await graph.call( 'PATCH', path( id ), 'the subscription', { expirationDateTime: expiresAt.toISOString() } );
			return res.json === null ? { id, expiresAt } : parse( res.json, expiresAt );
		},

		/** `POST /subscriptions/{id}/reauthorize` (lifecycle `reauthorizationRequired`) → 204. */
		async reauthorize( id: string ): Promise< void > {
			await graph.call( 'POST', `${ path( id ) }/reauthorize`, 'the subscription' );
		},

		/** `GET /subscriptions/{id}`: whether Graph still has it (after a `missed` lifecycle event). */
		async exists( id: string ): Promise< boolean > {
			try {
				await graph.call( 'GET', path( id ), 'the subscription' );
				return true;
			} catch ( error ) {
				if ( error instanceof PlatformError && error.code === 'not_found' ) {
					return false;
				}
				throw error;
			}
		},

		/** `DELETE /subscriptions/{id}` → 204; already gone counts as done. */
		async remove( id: string ): Promise< void > {
			try {
				await graph.call( 'DELETE', path( id ), 'the subscription' );
			} catch ( error ) {
				if ( error instanceof PlatformError && error.code === 'not_found' ) {
					return;
				}
				throw error;
			}
		},
	};
}

export type TeamsSubscriptions = ReturnType< typeof createTeamsSubscriptions >;

/**
 * What the Join block asks: which consultation, in which state, and a join link minted per click.
 */
import type { ConsultationView, IdentityClaims, JoinResponse, JoinState, Settings, ViewerRole } from '@bkx-video/contracts';

import { AppError } from '../errors';
import { createTtlCache } from '../ttl-cache';
import { can, viewerRole } from '../policy/can';
import { createPlatformCache } from '../platforms/registry';
import { PlatformError, type PlatformEnv } from '../platforms/video-platform';
import type { AccessTokensRepository } from '../repositories/access-tokens-repository';
import { CLOSED_BOOKING_STATUSES, type BookingsRepository } from '../repositories/bookings-repository';
import type { Consultation, ConsultationsRepository } from '../repositories/consultations-repository';
import { meetingOf } from './booking-sync';
import type { JoinClient } from './join-events';
import type { SettingsService } from './settings-service';

export function joinWindow( c: Pick< Consultation, 'scheduledStart' | 'scheduledEnd' >, settings: Settings ) {
	return {
		opensAt: new Date( c.scheduledStart.getTime() - settings.join_opens_minutes_before * 60000 ),
		closesAt: new Date( c.scheduledEnd.getTime() + settings.join_closes_minutes_after * 60000 ),
	};
}

export function joinState(
	c: Pick< Consultation, 'status' | 'scheduledStart' | 'scheduledEnd' | 'actualEnd' >,
	settings: Settings,
	now: Date,
	window: ReturnType< typeof joinWindow > = joinWindow( c, settings )
): JoinState {
	if ( c.status === 'cancelled' || c.status === 'failed' ) {
		return 'cancelled';
	}
	// A no-show whose meeting still runs stays open: a late customer may still come (and undo it).
	if ( c.status === 'completed' || ( c.status === 'no_show' && c.actualEnd !== null ) || now > window.closesAt ) {
		return 'ended';
	}
	return now < window.opensAt ? 'too_early' : 'open';
}

interface Deps {
	consultations: ConsultationsRepository;
	accessTokens: AccessTokensRepository;
	bookings: BookingsRepository;
	settings: SettingsService;
	clock: () => Date;
	platformEnv: PlatformEnv;
	cacheTtlSeconds: number;
	/** Called when join finds a booking closed that its consultation does not know about yet. */
	onStaleBooking?: ( bookingId: number ) => void;
	/** Records a successful join (our own join events, services/join-events.ts); its failure fails the join. */
	onJoined?: ( c: Consultation, role: ViewerRole, identity: IdentityClaims, client: JoinClient, settings: Settings, closesAt: Date ) => Promise< void >;
}

/** A viewer cleared to join now ({@link ConsultationsService.admit}). */
export interface Admitted {
	consultation: Consultation;
	role: ViewerRole;
	settings: Settings;
	closesAt: Date;
	/** Hosts and admins join with the host's powers. */
	isHost: boolean;
	/** Who joins, as platforms see them (`customer-<booking>` or `wp-<user>`). */
	user: { id: string; name: string; email: string };
	/** The personal link token, when it is what let the viewer in. */
	accessToken?: string;
}

export function createConsultationsService( deps: Deps ) {
	const { consultations, accessTokens, bookings, clock } = deps;
	const platformFor = createPlatformCache( deps.platformEnv );
	// Spec §12: meeting details are cached briefly; names of providers/services change rarely.
	const names = createTtlCache< string, string >( { ttlSeconds: Math.max( 1, deps.cacheTtlSeconds ), clock, maxEntries: 5000 } );
	const cachedName = ( key: string, load: () => Promise< string > ) => names.get( key, load );

	async function tokenConsultation( accessToken: string | undefined ): Promise< number | null > {
		return accessToken ? accessTokens.resolve( accessToken ) : null;
	}

	/** Loads the consultation and the viewer's role, or throws the right 401/403/404. */
	async function authorize(
		identity: IdentityClaims,
		id: number | Consultation,
		accessToken: string | undefined
	): Promise< { consultation: Consultation; role: ViewerRole; settings: Settings; tokenUsed: boolean } > {
		const consultation = typeof id === 'number' ? await consultations.findById( id ) : id;
		// No token (logged-in callers, the usual case): no promise to wait for.
		let tokenId = accessToken ? await accessTokens.resolve( accessToken ) : null;
		if ( ! consultation ) {
			throw new AppError( 'meeting_not_found' );
		}
		// require_authentication: a customer who has a WordPress account logs in; the personal
		// link alone is accepted only for customers without one (guest bookings).
		const settings = await deps.settings.get();
		// The token is ignored for every caller then, not only for guests: a stranger who logs in
		// to any account must not get in with a forwarded link.
		const loginRequired = settings.require_authentication && consultation.customerUserId !== null;
		if ( loginRequired ) {
			tokenId = null;
		}
		const role = viewerRole( identity, consultation, tokenId );
		if ( ! can( identity, 'consultation.view', role ) || ! role ) {
			throw new AppError( identity.sub === 0 ? 'unauthenticated' : 'forbidden' );
		}
		return { consultation, role, settings, tokenUsed: tokenId === consultation.id };
	}

	function namesOf( c: Consultation ): Promise< [ string, string ] > {
		return Promise.all( [
			cachedName( `seat:${ c.seatId }:${ c.hostId }`, async () => {
				const host = await bookings.getUser( c.hostId );
				if ( host?.displayName ) {
					return host.displayName;
				}
				return ( await bookings.getSeat( c.seatId ) )?.title ?? '';
			} ),
			cachedName( `service:${ c.serviceId }`, async () => ( await bookings.getService( c.serviceId ) )?.title ?? '' ),
		] );
	}

	async function toView( c: Consultation, role: ViewerRole, settings: Settings ): Promise< ConsultationView > {
		const now = clock();
		const { opensAt, closesAt } = joinWindow( c, settings );
		const [ providerName, serviceName ] = await namesOf( c );
		return {
			id: c.id,
			booking_id: c.bookingId,
			status: c.status,
			platform: c.platform,
			scheduled_start: c.scheduledStart.toISOString(),
			scheduled_end: c.scheduledEnd.toISOString(),
			duration_minutes: c.durationMinutes,
			join_opens_at: opensAt.toISOString(),
			join_closes_at: closesAt.toISOString(),
			state: joinState( c, settings, now, { opensAt, closesAt } ),
			provider_name: providerName,
			service_name: serviceName,
			viewer_role: role,
			server_time: now.toISOString(),
		};
	}

	return {
		async get( identity: IdentityClaims, id: number, accessToken?: string ): Promise< ConsultationView > {
			const { consultation, role, settings } = await authorize( identity, id, accessToken );
			return toView( consultation, role, settings );
		},

		/** The consultation a token opens, or the user's next one. */
		async current( identity: IdentityClaims, accessToken?: string ): Promise< ConsultationView > {
			if ( accessToken ) {
				const id = await tokenConsultation( accessToken );
				if ( ! id ) {
					throw new AppError( 'link_expired' );
				}
				return this.get( identity, id, accessToken );
			}
			if ( identity.sub === 0 ) {
				throw new AppError( 'unauthenticated' );
			}
			const settings = await deps.settings.get();
			const since = new Date( clock().getTime() - settings.join_closes_minutes_after * 60000 );
			const next = await consultations.findCurrentForUser( { id: identity.sub, email: identity.email ?? null }, since );
			if ( ! next ) {
				throw new AppError( 'no_upcoming_consultation' );
			}
			const role = viewerRole( identity, next, null );
			if ( ! role ) {
				throw new AppError( 'meeting_not_found' );
			}
			return toView( next, role, settings );
		},

		/**
		 * Checks that the viewer may join now (the checks of {@link join}, for the room's tickets too).
		 *
		 * @throws AppError meeting_not_open (409, with opens_at), meeting_ended (410),
		 *   meeting_cancelled (410), forbidden, platform_unavailable (503).
		 */
		async admit( identity: IdentityClaims, consultation: Consultation | number, accessToken?: string ): Promise< Admitted > {
			const { consultation: c, role, settings, tokenUsed } = await authorize( identity, consultation, accessToken );
			if ( ! can( identity, 'consultation.join', role ) ) {
				throw new AppError( 'forbidden' );
			}
			const window = joinWindow( c, settings );
			const { opensAt, closesAt } = window;
			const state = joinState( c, settings, clock(), window );
			if ( state === 'cancelled' ) {
				throw new AppError( 'meeting_cancelled' );
			}
			if ( state === 'ended' ) {
				throw new AppError( 'meeting_ended' );
			}
			if ( state === 'too_early' ) {
				throw new AppError( 'meeting_not_open', { data: { opens_at: opensAt.toISOString() } } );
			}
			// Last resort (reference §7.4): a booking closed by a path that fires no hook must not be
			// joinable until the next reconcile. One indexed read of the post's status.
			const bookingStatus = await bookings.getBookingStatus( c.bookingId );
			if ( bookingStatus === null || CLOSED_BOOKING_STATUSES.has( bookingStatus ) ) {
				deps.onStaleBooking?.( c.bookingId );
				throw new AppError( 'meeting_cancelled' );
			}
			if ( ! c.meetingId ) {
				throw new AppError( 'platform_unavailable', { retryAfter: 30 } );
			}
			const isHost = role === 'host' || role === 'admin';
			const user =
				role === 'customer'
					? { id: `customer-${ c.bookingId }`, name: c.customerName ?? '', email: c.customerEmail ?? '' }
					: { id: `wp-${ identity.sub }`, name: identity.name ?? '', email: identity.email ?? '' };
			return { consultation: c, role, settings, closesAt, isHost, user, accessToken: tokenUsed ? accessToken : undefined };
		},

		/**
		 * Mints the viewer's join link.
		 *
		 * @throws AppError as {@link admit}.
		 */
		async join( identity: IdentityClaims, id: number, accessToken?: string, client: JoinClient = {} ): Promise< JoinResponse > {
			const { consultation, role, settings, closesAt, isHost, user, accessToken: personalToken } = await this.admit( identity, id, accessToken );
			const platform = platformFor( consultation.platform, settings );
			if ( ! platform ) {
				throw new AppError( 'platform_unavailable', { retryAfter: 60 } );
			}
			let link;
			try {
				link = await platform.getJoinUrl(
					meetingOf( consultation ),
					{ role: isHost ? 'host' : 'participant', user, ...( personalToken ? { accessToken: personalToken } : {} ) },
					closesAt
				);
			} catch ( error ) {
				if ( error instanceof PlatformError ) {
					throw new AppError( 'platform_unavailable', { cause: error, retryAfter: error.retryAfterSeconds ?? 30 } );
				}
				throw error;
			}
			await deps.onJoined?.( consultation, role, identity, client, settings, closesAt );
			return {
				join_url: link.url,
				platform: consultation.platform,
				role: isHost ? 'host' : 'participant',
				expires_at: link.expiresAt ? link.expiresAt.toISOString() : null,
			};
		},

		/** The names the views show (cached briefly). */
		names: ( c: Consultation ) => namesOf( c ),
	};
}

export type ConsultationsService = ReturnType< typeof createConsultationsService >;

/**
 * Our own join events: for the platforms that send us nothing about a session (Jitsi, Google Meet,
 * and the built-in room once it exists), a successful click on Join is what we learn. Each one
 * becomes a `joined` event of that person in the session tracker, and plans the job that closes
 * the session at the end of the join window when no platform tells us the end.
 *
 * What we do not learn here: when anyone leaves (the Join page hands the browser over to the
 * platform's own page, which tells us nothing) and, for Meet, joins through Google's own link.
 * docs/architecture.md "Session tracking" says what follows from that.
 */
import { isIP } from 'node:net';

import type { IdentityClaims, PlatformId, Settings, ViewerRole } from '@bkx-video/contracts';

import type { Consultation } from '../repositories/consultations-repository';
import type { QueueRepository } from '../repositories/queue-repository';
import { createTtlCache } from '../ttl-cache';
import type { SessionParticipant, SessionTracker } from './session-tracker';

/** Platforms without session events of their own: our join events are their session data. */
export const SELF_TRACKED: ReadonlySet< PlatformId > = new Set< PlatformId >( [ 'jitsi', 'meet', 'webrtc' ] );

/** What the browser's request told us, as the plugin's proxy forwarded it. */
export interface JoinClient {
	/** The browser's User-Agent (the proxy sends it as its own). */
	userAgent?: string | null;
	/** `X-Forwarded-For` as the proxy set it: the browser's address as WordPress saw it. */
	forwardedFor?: string | null;
}

export type DeviceType = 'desktop' | 'mobile' | 'tablet';

// Tokens browsers use to say what they run on (MDN, "Browser detection using the user agent":
// "Mobi" marks phones; Android without "Mobile" is a tablet). "Tablet PC" is a Windows desktop.
const TABLET = /iPad|Tablet(?! PC)|PlayBook|Kindle|Silk\/|Android(?!.*Mobi)/i;
const MOBILE = /Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|BB10|Opera Mini|IEMobile/i;

/**
 * The device class a User-Agent names; null when there is none. Known blind spot: Safari on
 * iPadOS 13+ presents itself as a Mac by default, so it counts as a desktop.
 */
export function deviceType( userAgent: string | null | undefined ): DeviceType | null {
	const ua = userAgent?.trim();
	if ( ! ua ) {
		return null;
	}
	if ( TABLET.test( ua ) ) {
		return 'tablet';
	}
	return MOBILE.test( ua ) ? 'mobile' : 'desktop';
}

/**
 * The browser's IP address from the proxy's `X-Forwarded-For`: its first entry (the plugin sets
 * a single one, from `REMOTE_ADDR`; a proxy in front of the sidecar appends after it). Null when
 * it is missing or not an address: the sidecar's own peer is WordPress, never the browser.
 */
export function clientIp( forwardedFor: string | null | undefined ): string | null {
	const first = forwardedFor?.split( ',' )[ 0 ]?.trim() ?? '';
	return first && isIP( first ) ? first : null;
}

/** The participant key of a viewer: the same id the join link carries (`customer-<booking>`, `wp-<user>`). */
export function participantKey( c: Pick< Consultation, 'bookingId' >, role: ViewerRole, identity: IdentityClaims ): string {
	return role === 'customer' ? `customer-${ c.bookingId }` : `wp-${ identity.sub }`;
}

interface Deps {
	tracker: SessionTracker;
	queue: QueueRepository;
	clock: () => Date;
}

export function createJoinEvents( deps: Deps ) {
	const { tracker, queue, clock } = deps;
	/**
	 * Joins this instance recorded lately, by consultation version: a click storm (or a customer
	 * clicking again) costs no database work, and clicks arriving together share one recording. A
	 * change to the consultation (a leave, the end) makes a new version, so the next click counts.
	 */
	const recent = createTtlCache< string, void >( { ttlSeconds: 60, clock, maxEntries: 20_000 } );
	return {
		/**
		 * Records a successful join of `role` (after the link was minted): the `session.close` job at
		 * `closesAt` and a `joined` event, both idempotent while the person's stay goes on.
		 * Does nothing for platforms that send their own events. Throws what the database throws
		 * (the caller fails the join: an unrecorded Jitsi join would make a false no-show).
		 */
		async record( c: Consultation, role: ViewerRole, identity: IdentityClaims, client: JoinClient, settings: Settings, closesAt: Date ): Promise< void > {
			if ( ! SELF_TRACKED.has( c.platform ) || ! c.meetingId ) {
				return;
			}
			const key = participantKey( c, role, identity );
			const meetingId = c.meetingId;
			// The memo is checked before anything else is worked out: a repeated click costs a lookup.
			await recent.get( `${ c.id }:${ key }:${ c.updatedAt.getTime() }`, async () => {
				// A repeated click seen by another instance: one shared read, no lock, no write.
				if ( c.status === 'in_progress' && ( await tracker.inStay( c.id, key ) ) ) {
					return;
				}
				const customer = role === 'customer';
				const participant: SessionParticipant = {
					key,
					name: customer ? c.customerName ?? '' : identity.name ?? '',
					email: customer ? c.customerEmail : identity.email ?? null,
					userId: customer ? c.customerUserId : identity.sub || null,
					// Admins join with the host's powers, on the provider's side: their presence is not the customer's.
					role: customer ? 'participant' : 'host',
					deviceType: deviceType( client.userAgent ),
					ipAddress: settings.store_participant_ip ? clientIp( client.forwardedFor ) : null,
				};
				const now = clock();
				// The close job first: a stay, once stored, always has one (the shortcut above relies on it).
				await queue.enqueueJob( 'session.close', { consultationId: c.id }, `session.close:${ c.id }:${ closesAt.getTime() }`, closesAt, now );
				await tracker.applyToMeeting( c.platform, meetingId, { kind: 'joined', at: now, participant, clicked: true } );
			} );
		},
	};
}

export type JoinEvents = ReturnType< typeof createJoinEvents >;

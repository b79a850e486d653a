/**
 * Which platforms exist and which one serves a booking.
 *
 * Order of choice (BRIEF §5, {@link choosePlatforms}): the customer's choice (when allowed) → the
 * service's override → the default platform → the others by priority. A platform is usable when it
 * is enabled, has an adapter and can host the consultation; the reason a platform was skipped is
 * recorded on the consultation.
 */
import type { PlatformId, Settings } from '@bkx-video/contracts';

import { createJitsiPlatform } from './jitsi/adapter';
import { createMeetPlatform } from './meet/adapter';
import { createTeamsPlatform } from './teams/adapter';
import { createWebrtcPlatform } from './webrtc/adapter';
import { createZoomPlatform } from './zoom/adapter';
import type { PlatformDeps, PlatformEnv, VideoPlatform, VideoPlatformFactory } from './video-platform';

/** Every platform's adapter. */
const FACTORIES: Record< PlatformId, VideoPlatformFactory > = {
	jitsi: createJitsiPlatform,
	meet: createMeetPlatform,
	teams: createTeamsPlatform,
	webrtc: createWebrtcPlatform,
	zoom: createZoomPlatform,
};

const PRIORITY: PlatformId[] = [ 'zoom', 'teams', 'meet', 'jitsi', 'webrtc' ];

export function isEnabled( settings: Settings, id: PlatformId ): boolean {
	return settings[ `${ id }_enabled` ];
}

export function createPlatform( id: PlatformId, deps: PlatformDeps ): VideoPlatform | null {
	const factory = FACTORIES[ id ];
	return factory ? factory( deps ) : null;
}

/**
 * Adapters built once per settings snapshot: the settings service hands out the same object until
 * settings change, so a new snapshot (new credentials) gets new adapters and the old ones go with
 * it (WeakMap). Adapters hold prepared keys, which are costly to rebuild on every join.
 */
export function createPlatformCache( env: PlatformEnv ) {
	const bySettings = new WeakMap< Settings, Map< PlatformId, VideoPlatform | null > >();
	return ( id: PlatformId, settings: Settings ): VideoPlatform | null => {
		let map = bySettings.get( settings );
		if ( ! map ) {
			map = new Map();
			bySettings.set( settings, map );
		}
		if ( ! map.has( id ) ) {
			map.set( id, createPlatform( id, { ...env, settings } ) );
		}
		return map.get( id ) ?? null;
	};
}

export interface PlatformChoice {
	candidates: PlatformId[];
	skipped: Array< { platform: PlatformId; reason: string } >;
}

/**
 * What each platform can host (vendor limits; spec "Automatic platform selection"). `null`: no limit
 * of its own. Zoom: licensed users' meetings last up to 24 h [U for Basic accounts: 40 min with 3+
 * people]; Teams: 30 h; Google Meet: 24 h; Jitsi and the built-in room: none.
 */
export const PLATFORM_LIMITS: Record< PlatformId, { maxParticipants: number; maxDurationMinutes: number | null } > = {
	zoom: { maxParticipants: 100, maxDurationMinutes: 24 * 60 },
	teams: { maxParticipants: 1000, maxDurationMinutes: 30 * 60 },
	meet: { maxParticipants: 100, maxDurationMinutes: 24 * 60 },
	jitsi: { maxParticipants: 100, maxDurationMinutes: null },
	webrtc: { maxParticipants: 100, maxDurationMinutes: null },
};

export interface ChoiceInput {
	/** The service's own platform (its edit screen), or ''. */
	serviceOverride: string;
	/** What the customer picked on the booking form, or ''; used only with allow_platform_selection. */
	customerChoice?: string;
	/** The consultation's length, checked against each platform's limit. */
	durationMinutes?: number;
}

/**
 * The platforms to try, best first, and why the others were skipped. Order (spec "Automatic
 * platform selection", BRIEF §5): the default platform, replaced by the service's override, replaced
 * by the customer's choice when the admin allows choosing; then the others by priority as fallbacks
 * (failover). A platform that is off, has no adapter, or cannot host the consultation (participants
 * per `max_participants`, duration) is skipped with its reason.
 */
export function choosePlatforms( settings: Settings, input: string | ChoiceInput ): PlatformChoice {
	const { serviceOverride, customerChoice = '', durationMinutes = 0 } = typeof input === 'string' ? { serviceOverride: input } : input;
	const order: PlatformId[] = [];
	const push = ( id: string ) => {
		if ( PRIORITY.includes( id as PlatformId ) && ! order.includes( id as PlatformId ) ) {
			order.push( id as PlatformId );
		}
	};
	const chosen = settings.allow_platform_selection ? customerChoice : '';
	push( chosen );
	push( serviceOverride );
	push( settings.default_platform );
	PRIORITY.forEach( push );
	const named = new Set( [ chosen, serviceOverride, settings.default_platform ].filter( Boolean ) );

	const candidates: PlatformId[] = [];
	const skipped: PlatformChoice[ 'skipped' ] = [];
	for ( const id of order ) {
		if ( ! isEnabled( settings, id ) ) {
			if ( named.has( id ) ) {
				skipped.push( { platform: id, reason: 'disabled' } );
			}
			continue;
		}
		if ( ! FACTORIES[ id ] ) {
			skipped.push( { platform: id, reason: 'not_available' } );
			continue;
		}
		const limits = PLATFORM_LIMITS[ id ];
		if ( settings.max_participants > limits.maxParticipants ) {
			skipped.push( { platform: id, reason: `participant_limit: ${ PLATFORM_LIMITS[ id ].maxParticipants } people at most, the settings ask for ${ settings.max_participants }` } );
			continue;
		}
		if ( limits.maxDurationMinutes !== null && durationMinutes > limits.maxDurationMinutes ) {
			skipped.push( { platform: id, reason: `duration_limit: ${ limits.maxDurationMinutes } minutes at most, this consultation lasts ${ durationMinutes }` } );
			continue;
		}
		candidates.push( id );
	}
	return { candidates, skipped };
}

/** The platforms a customer may pick on the booking form (enabled, with an adapter), in priority order. */
export function selectablePlatforms( settings: Settings ): PlatformId[] {
	return PRIORITY.filter( ( id ) => isEnabled( settings, id ) && FACTORIES[ id ] );
}

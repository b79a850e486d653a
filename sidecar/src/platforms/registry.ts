/**
 * Which platforms exist and which one serves a booking.
 *
 * Order of choice (BRIEF §5): the service's override → the default platform → the others by
 * priority. A platform is usable when it is enabled and has an adapter; the reason a platform was
 * skipped is recorded on the consultation.
 */
import type { PlatformId, Settings } from '@bkx-video/contracts';

import { createJitsiPlatform } from './jitsi/adapter';
import { createMeetPlatform } from './meet/adapter';
import { createTeamsPlatform } from './teams/adapter';
import { createZoomPlatform } from './zoom/adapter';
import type { PlatformDeps, PlatformEnv, VideoPlatform, VideoPlatformFactory } from './video-platform';

/** Adapters that exist today; the others arrive with their issues. */
const FACTORIES: Partial< Record< PlatformId, VideoPlatformFactory > > = {
	jitsi: createJitsiPlatform,
	meet: createMeetPlatform,
	teams: createTeamsPlatform,
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

/** The platforms to try, best first, and why the others were skipped. */
export function choosePlatforms( settings: Settings, override: string ): PlatformChoice {
	const order: PlatformId[] = [];
	const push = ( id: string ) => {
		if ( PRIORITY.includes( id as PlatformId ) && ! order.includes( id as PlatformId ) ) {
			order.push( id as PlatformId );
		}
	};
	push( override );
	push( settings.default_platform );
	PRIORITY.forEach( push );

	const candidates: PlatformId[] = [];
	const skipped: PlatformChoice[ 'skipped' ] = [];
	for ( const id of order ) {
		if ( ! isEnabled( settings, id ) ) {
			if ( id === override || id === settings.default_platform ) {
				skipped.push( { platform: id, reason: 'disabled' } );
			}
			continue;
		}
		if ( ! FACTORIES[ id ] ) {
			skipped.push( { platform: id, reason: 'not_available' } );
			continue;
		}
		candidates.push( id );
	}
	return { candidates, skipped };
}

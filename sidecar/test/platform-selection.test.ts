/**
 * Automatic platform selection (spec §2, BRIEF §5): default → the service's override → the
 * customer's choice when allowed → limits (participants, duration) → the others by priority.
 */
import { DEFAULT_SETTINGS, type Settings } from '@bkx-video/contracts';
import { describe, expect, it } from 'vitest';

import { choosePlatforms, selectablePlatforms } from '../src/platforms/registry';

const settings = ( patch: Partial< Settings > = {} ): Settings => ( {
	...DEFAULT_SETTINGS,
	zoom_enabled: true,
	teams_enabled: true,
	meet_enabled: false,
	jitsi_enabled: true,
	default_platform: 'zoom',
	...patch,
} );

describe( 'choosePlatforms', () => {
	it( 'starts from the default platform, then the others by priority', () => {
		expect( choosePlatforms( settings(), { serviceOverride: '' } ) ).toEqual( { candidates: [ 'zoom', 'teams', 'jitsi' ], skipped: [] } );
	} );

	it( 'lets the service override the default, and the customer override both only when allowed', () => {
		expect( choosePlatforms( settings(), { serviceOverride: 'teams' } ).candidates[ 0 ] ).toBe( 'teams' );
		expect( choosePlatforms( settings(), { serviceOverride: 'teams', customerChoice: 'jitsi' } ).candidates[ 0 ] ).toBe( 'teams' );
		expect( choosePlatforms( settings( { allow_platform_selection: true } ), { serviceOverride: 'teams', customerChoice: 'jitsi' } ).candidates ).toEqual( [ 'jitsi', 'teams', 'zoom' ] );
	} );

	it( 'says why a chosen platform that is switched off is skipped', () => {
		const choice = choosePlatforms( settings( { allow_platform_selection: true } ), { serviceOverride: '', customerChoice: 'meet' } );
		expect( choice.candidates[ 0 ] ).toBe( 'zoom' );
		expect( choice.skipped ).toContainEqual( { platform: 'meet', reason: 'disabled' } );
	} );

	it( 'skips platforms that cannot host the consultation: too long, or too many participants', () => {
		const long = choosePlatforms( settings(), { serviceOverride: '', durationMinutes: 25 * 60 } );
		expect( long.candidates ).toEqual( [ 'teams', 'jitsi' ] );
		expect( long.skipped[ 0 ] ).toMatchObject( { platform: 'zoom', reason: expect.stringMatching( /^duration_limit: 1440 minutes at most/ ) } );
		const crowd = choosePlatforms( settings( { max_participants: 500 } ), { serviceOverride: '' } );
		expect( crowd.candidates ).toEqual( [ 'teams' ] );
		expect( crowd.skipped.map( ( s ) => s.platform ) ).toEqual( [ 'zoom', 'jitsi' ] );
		expect( crowd.skipped[ 0 ]!.reason ).toMatch( /^participant_limit: 100 people at most, the settings ask for 500$/ );
	} );

	it( 'offers customers only the enabled platforms', () => {
		expect( selectablePlatforms( settings() ) ).toEqual( [ 'zoom', 'teams', 'jitsi' ] );
		expect( selectablePlatforms( settings( { teams_enabled: false } ) ) ).toEqual( [ 'zoom', 'jitsi' ] );
	} );
} );

import { describe, expect, it } from 'vitest';

import { canToggle, isOn } from '../src/ui/effects';

const track = (
	caps: Record< string, unknown >,
	settings: Record< string, unknown > = {}
) =>
	( {
		getCapabilities: () => caps,
		getSettings: () => settings,
	} ) as unknown as MediaStreamTrack;

describe( 'browser effects', () => {
	it( 'offers an effect only when the track can switch it both ways', () => {
		expect(
			canToggle(
				track( { noiseSuppression: [ true, false ] } ),
				'noiseSuppression'
			)
		).toBe( true );
		expect(
			canToggle(
				track( { noiseSuppression: [ true ] } ),
				'noiseSuppression'
			)
		).toBe( false );
		expect( canToggle( track( {} ), 'backgroundBlur' ) ).toBe( false );
		expect(
			canToggle(
				track( { backgroundBlur: [ false, true ] } ),
				'backgroundBlur'
			)
		).toBe( true );
		expect( canToggle( null, 'backgroundBlur' ) ).toBe( false );
		// Browsers without getCapabilities (Firefox on tracks of some kinds) offer nothing.
		expect( canToggle( {} as MediaStreamTrack, 'noiseSuppression' ) ).toBe(
			false
		);
	} );

	it( 'reads the current state from the track settings', () => {
		expect(
			isOn( track( {}, { noiseSuppression: true } ), 'noiseSuppression' )
		).toBe( true );
		expect( isOn( track( {}, {} ), 'backgroundBlur' ) ).toBe( false );
	} );
} );

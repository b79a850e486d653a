import { describe, expect, it } from 'vitest';

import * as selectors from '../selectors';
import { loadedState, reduce } from './fixtures';

describe( 'selectors', () => {
	it( 'reads the saved value unless edited', () => {
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'max_participants',
					value: 12,
					error: null,
				},
			],
			loadedState()
		);
		expect( selectors.getFieldValue( state, 'default_duration' ) ).toBe(
			30
		);
		expect( selectors.getFieldValue( state, 'max_participants' ) ).toBe(
			12
		);
		expect( selectors.isEdited( state, 'max_participants' ) ).toBe( true );
		expect( selectors.isDirty( state ) ).toBe( true );
		expect( selectors.isDirty( loadedState() ) ).toBe( false );
	} );

	it( 'never shows a saved secret, and shows "clear" as empty', () => {
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'zoom_client_secret',
					value: null,
					error: null,
				},
			],
			loadedState()
		);
		expect(
			selectors.getFieldValue( loadedState(), 'zoom_client_secret' )
		).toBe( '' );
		expect( selectors.getFieldValue( state, 'zoom_client_secret' ) ).toBe(
			''
		);
		expect(
			selectors.isSecretMarkedForClearing( state, 'zoom_client_secret' )
		).toBe( true );
		expect(
			selectors.getSecretState( state, 'zoom_client_secret' )
		).toEqual( { is_set: true, tail: 'abcd' } );
		expect(
			selectors.getSecretState( reduce( [] ), 'jitsi_app_secret' )
		).toEqual( { is_set: false, tail: '' } );
	} );

	it( 'builds the PUT body from the changed keys only', () => {
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'enabled',
					value: false,
					error: null,
				},
				{
					type: 'EDIT_SETTING',
					key: 'zoom_client_secret',
					value: 'typed',
					error: null,
				},
				{
					type: 'EDIT_SETTING',
					key: 'jitsi_app_secret',
					value: null,
					error: null,
				},
			],
			loadedState()
		);
		expect( selectors.getChangedSettings( state ) ).toEqual( {
			enabled: false,
			zoom_client_secret: 'typed',
			jitsi_app_secret: null,
		} );
	} );

	it( 'exposes errors, flags and the status', () => {
		const state = reduce(
			[ { type: 'SET_FIELD_ERRORS', fieldErrors: { enabled: 'x' } } ],
			loadedState()
		);
		expect( selectors.getFieldErrors( state ) ).toEqual( { enabled: 'x' } );
		expect( selectors.getFieldError( state, 'enabled' ) ).toBe( 'x' );
		expect( selectors.getFieldError( state, 'enable_chat' ) ).toBeNull();
		expect( selectors.hasFieldErrors( state ) ).toBe( true );
		expect( selectors.isSaving( state ) ).toBe( false );
		expect( selectors.isLoading( state ) ).toBe( false );
		expect( selectors.getLoadError( state ) ).toBeNull();
		expect( selectors.getSidecarStatus( state ) ).toBeNull();
		expect( selectors.getSidecarStatusError( state ) ).toBeNull();
		expect( selectors.getSettings( reduce( [] ) ) ).toBeNull();
	} );
} );

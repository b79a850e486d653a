import { describe, expect, it } from 'vitest';
import { SETTING_GROUPS, SettingsSchema } from '@bkx-video/contracts';

import { toApiError } from '../api';
import { getErrorFix, getErrorMessage } from '../errors';
import { getGroupTitle, getSettingFields } from '../settings-fields';

describe( 'errors', () => {
	it( 'translates known codes and falls back to the server message', () => {
		expect( getErrorMessage( { code: 'forbidden', message: 'x' } ) ).toBe(
			'You are not allowed to change these settings.'
		);
		expect(
			getErrorMessage( {
				code: 'something_new',
				message: 'Server says.',
			} )
		).toBe( 'Server says.' );
		expect( getErrorMessage( {} ) ).toBe(
			'Something went wrong. Please try again.'
		);
		expect( getErrorFix( { code: 'sidecar_unavailable' } ) ).toMatch(
			/BKX_VIDEO_SIDECAR_SECRET in wp-config\.php/
		);
		expect( getErrorFix( { code: 'forbidden' } ) ).toBeNull();
	} );

	it( 'normalizes what apiFetch rejects with', () => {
		const e = toApiError( {
			code: 'invalid_request',
			message: 'm',
			data: { status: 400, details: { enabled: 'bad' } },
		} );
		expect( [ e.code, e.status, e.details ] ).toEqual( [
			'invalid_request',
			400,
			{ enabled: 'bad' },
		] );
		expect( toApiError( new Error( 'boom' ) ).code ).toBe(
			'unknown_error'
		);
	} );
} );

describe( 'settings-fields', () => {
	it( 'describes every setting and every group', () => {
		const fields = getSettingFields();
		expect( Object.keys( fields ).sort() ).toEqual(
			Object.keys( SettingsSchema.shape ).sort()
		);
		const grouped = SETTING_GROUPS.flatMap( ( g ) => g.keys );
		expect( [ ...grouped ].sort() ).toEqual(
			Object.keys( SettingsSchema.shape ).sort()
		);
		for ( const g of SETTING_GROUPS ) {
			expect( getGroupTitle( g.id ) ).not.toBe( g.id );
		}
		const labels = Object.values( fields ).map( ( f ) => f.label );
		expect( new Set( labels ).size ).toBe( labels.length );
	} );
} );

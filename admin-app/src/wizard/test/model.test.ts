import { DEFAULT_SETTINGS, SettingsSchema } from '@bkx-video/contracts';
import { describe, expect, it } from 'vitest';

import type { PublicSettings, SecretsState } from '../../store/types';
import {
	CREDENTIAL_KEYS,
	WIZARD_PLATFORMS,
	isAnyPlatformSetUp,
	missingCredentials,
	readOAuthReturn,
	stepsFor,
	withoutOAuthQuery,
} from '../model';

const base = { ...DEFAULT_SETTINGS, zoom_enabled: false } as PublicSettings;
const secret = { is_set: true, tail: 'wxyz' };

describe( 'which platforms look set up', () => {
	it( 'offers the wizard on a fresh site (Zoom on by default, but without credentials)', () => {
		expect(
			isAnyPlatformSetUp( { ...DEFAULT_SETTINGS } as PublicSettings, {} )
		).toBe( false );
	} );

	it( 'needs the platform enabled and every credential saved, the secret included', () => {
		const zoom = {
			...base,
			zoom_enabled: true,
			zoom_account_id: 'a',
			zoom_client_id: 'c',
			zoom_user_id: 'host@example.test',
		};
		expect( isAnyPlatformSetUp( zoom, {} ) ).toBe( false );
		expect(
			isAnyPlatformSetUp( zoom, { zoom_client_secret: secret } )
		).toBe( true );
		expect(
			isAnyPlatformSetUp(
				{ ...zoom, zoom_enabled: false },
				{ zoom_client_secret: secret }
			)
		).toBe( false );
	} );

	it( 'treats Jitsi without JWT as set up by its server address alone', () => {
		const jitsi = {
			...base,
			jitsi_enabled: true,
			jitsi_jwt_enabled: false,
		};
		expect( isAnyPlatformSetUp( jitsi, {} ) ).toBe( true );
		expect(
			isAnyPlatformSetUp(
				{ ...jitsi, jitsi_jwt_enabled: true },
				{} as SecretsState
			)
		).toBe( false );
	} );
} );

describe( 'steps and fields', () => {
	it( 'adds the Google consent step for Meet only', () => {
		expect( stepsFor( 'meet' ) ).toEqual( [
			'credentials',
			'connect_google',
			'connection',
			'test_meeting',
			'done',
		] );
		expect( stepsFor( 'zoom' ) ).toEqual( [
			'credentials',
			'connection',
			'test_meeting',
			'done',
		] );
	} );

	it( 'shows only settings that exist in the settings schema, of the chosen platform', () => {
		for ( const id of WIZARD_PLATFORMS ) {
			for ( const key of CREDENTIAL_KEYS[ id ] ) {
				expect( key in SettingsSchema.shape, key ).toBe( true );
				expect( key.startsWith( `${ id }_` ), key ).toBe( true );
			}
		}
	} );

	it( 'lists required credentials that are neither typed nor saved', () => {
		const typed: Record< string, unknown > = {
			zoom_account_id: 'acct',
			zoom_client_id: '  ',
			zoom_client_secret: '',
			zoom_user_id: 'host@example.test',
		};
		expect(
			missingCredentials(
				'zoom',
				( k ) => typed[ k ],
				() => false
			)
		).toEqual( [ 'zoom_client_id', 'zoom_client_secret' ] );
		// A saved secret needs no retyping.
		expect(
			missingCredentials(
				'zoom',
				( k ) => typed[ k ],
				( k ) => k === 'zoom_client_secret'
			)
		).toEqual( [ 'zoom_client_id' ] );
		// Jitsi asks for the app ID and secret only when links are signed.
		const jitsi: Record< string, unknown > = {
			jitsi_server_url: 'https://meet.example.test',
			jitsi_jwt_enabled: true,
		};
		expect(
			missingCredentials(
				'jitsi',
				( k ) => jitsi[ k ],
				() => false
			)
		).toEqual( [ 'jitsi_app_id', 'jitsi_app_secret' ] );
		const unsigned: Record< string, unknown > = {
			...jitsi,
			jitsi_jwt_enabled: false,
		};
		expect(
			missingCredentials(
				'jitsi',
				( k ) => unsigned[ k ],
				() => false
			)
		).toEqual( [] );
	} );
} );

describe( "Google's redirect back to the admin page", () => {
	const page = 'http://127.0.0.1:8881/wp-admin/admin.php?page=bkx-video';

	it( 'reads the code and state, or the error when the admin declined', () => {
		expect(
			readOAuthReturn(
				'?page=bkx-video&bkx_video_oauth=meet&code=4%2F0Ab&state=s-123&scope=x'
			)
		).toEqual( { kind: 'code', code: '4/0Ab', state: 's-123' } );
		expect(
			readOAuthReturn(
				'?page=bkx-video&bkx_video_oauth=meet&error=access_denied&state=s'
			)
		).toEqual( { kind: 'error', error: 'access_denied' } );
		expect(
			readOAuthReturn( '?page=bkx-video&bkx_video_oauth=meet&state=s' )
		).toEqual( { kind: 'error', error: 'missing_code' } );
		expect(
			readOAuthReturn( '?page=bkx-video&code=abc&state=s' )
		).toBeNull();
	} );

	it( 'removes every OAuth parameter and keeps the page', () => {
		expect(
			withoutOAuthQuery(
				`${ page }&bkx_video_oauth=meet&code=abc&state=s&scope=https%3A%2F%2Fx&authuser=0&prompt=consent#top`
			)
		).toBe( `${ page }#top` );
	} );
} );

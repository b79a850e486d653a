import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock( '../../api', async ( importOriginal ) => {
	const original = await importOriginal< typeof import( '../../api' ) >();
	return {
		...original,
		api: {
			settings: { get: vi.fn(), update: vi.fn() },
			status: { get: vi.fn() },
		},
	};
} );

import { api, ApiError } from '../../api';
import * as actions from '../actions';
import reducer from '../reducer';
import * as selectors from '../selectors';
import type { Action, State } from '../types';
import { deepFreeze, loadedState, makeView } from './fixtures';

const update = vi.mocked( api.settings.update );

/**
 * A tiny store over the real reducer, as @wordpress/data gives to thunks.
 * @param initial
 */
function harness( initial: State ) {
	let state = deepFreeze( initial );
	const notices = {
		createErrorNotice: vi.fn(),
		createSuccessNotice: vi.fn(),
	};
	const args = {
		dispatch: ( action: Action ) => {
			state = deepFreeze( reducer( state, action ) );
		},
		select: {
			isSaving: () => selectors.isSaving( state ),
			getChangedSettings: () => selectors.getChangedSettings( state ),
		},
		registry: { dispatch: vi.fn( () => notices ) },
	};
	return { args, notices, state: () => state };
}

function edited( edits: Array< [ string, unknown ] > ): State {
	return edits.reduce(
		( state, [ key, value ] ) =>
			reducer(
				state,
				actions.editSetting( key as never, value as never )
			),
		loadedState()
	);
}

beforeEach( () => {
	vi.clearAllMocks();
} );

describe( 'editSetting', () => {
	it( 'validates with the contracts schema at once', () => {
		expect( actions.editSetting( 'default_duration', 2 ) ).toEqual( {
			type: 'EDIT_SETTING',
			key: 'default_duration',
			value: 2,
			error: 'Enter a number of at least 5.',
		} );
		expect( actions.editSetting( 'default_duration', 'abc' ).type ).toBe(
			'EDIT_SETTING'
		);
		expect(
			(
				actions.editSetting( 'default_duration', 'abc' ) as {
					error: string;
				}
			 ).error
		).toBe( 'Enter a whole number.' );
		expect(
			(
				actions.editSetting( 'jitsi_server_url', 'nope' ) as {
					error: string;
				}
			 ).error
		).toBe( 'Enter a full web address starting with https://.' );
		expect(
			(
				actions.editSetting( 'webrtc_stun_servers', [
					'stun:ok.example:3478',
					'http://bad',
				] ) as { error: string }
			 ).error
		).toMatch( /^Line 2: Use a stun:/ );
		expect(
			(
				actions.editSetting( 'zoom_client_secret', '' ) as {
					error: null;
				}
			 ).error
		).toBeNull();
		expect(
			(
				actions.editSetting( 'zoom_client_secret', null ) as {
					error: null;
				}
			 ).error
		).toBeNull();
		expect(
			(
				actions.editSetting( 'teams_redirect_uri', '' ) as {
					error: null;
				}
			 ).error
		).toBeNull();
	} );
} );

describe( 'saveSettings', () => {
	it( 'sends only the changed keys, merges the answer and clears the saved draft', async () => {
		const view = makeView();
		view.settings.enabled = false;
		view.secrets.jitsi_app_secret = { is_set: true, tail: '1234' };
		update.mockResolvedValue( view );
		const h = harness(
			edited( [
				[ 'enabled', false ],
				[ 'jitsi_app_secret', 'app-secret-1234' ],
				[ 'zoom_client_secret', null ],
				[ 'zoom_webhook_secret', '' ],
			] )
		);

		await expect( actions.saveSettings()( h.args ) ).resolves.toBe( true );

		expect( update ).toHaveBeenCalledTimes( 1 );
		expect( update ).toHaveBeenCalledWith( {
			enabled: false,
			jitsi_app_secret: 'app-secret-1234',
			zoom_client_secret: null,
		} );
		expect( h.state().draft ).toEqual( {} );
		expect( h.state().settings?.enabled ).toBe( false );
		expect( h.state().secrets.jitsi_app_secret?.tail ).toBe( '1234' );
		expect( h.notices.createSuccessNotice ).toHaveBeenCalledWith(
			'Settings saved.',
			expect.objectContaining( { context: 'bookingx-video/admin' } )
		);
		expect( h.args.registry.dispatch ).toHaveBeenCalledWith(
			'core/notices'
		);
	} );

	it( 'on a 400 keeps the draft and puts data.details into field errors', async () => {
		update.mockRejectedValue( {
			code: 'invalid_request',
			message: 'Some details are missing or invalid.',
			data: {
				status: 400,
				details: {
					zoom_account_id: 'Zoom does not know this account.',
					'webrtc_stun_servers.0': 'Unreachable.',
				},
			},
		} );
		const h = harness(
			edited( [
				[ 'zoom_account_id', 'acc-1' ],
				[ 'webrtc_stun_servers', [ 'stun:a.example:3478' ] ],
				[ 'zoom_client_secret', 'typed-secret' ],
			] )
		);
		const draftBefore = h.state().draft;

		await expect( actions.saveSettings()( h.args ) ).resolves.toBe( false );

		expect( h.state().draft ).toEqual( draftBefore );
		expect( h.state().draft ).toEqual( {
			zoom_account_id: 'acc-1',
			webrtc_stun_servers: [ 'stun:a.example:3478' ],
			zoom_client_secret: 'typed-secret',
		} );
		expect( h.state().fieldErrors ).toEqual( {
			zoom_account_id: 'Zoom does not know this account.',
			webrtc_stun_servers: 'Line 1: Unreachable.',
		} );
		expect( h.state().isSaving ).toBe( false );
		expect( selectors.isDirty( h.state() ) ).toBe( true );
		expect( h.notices.createErrorNotice ).toHaveBeenCalledWith(
			expect.stringContaining( 'Fix the highlighted fields' ),
			expect.objectContaining( { id: 'bkx-video-settings-save' } )
		);
	} );

	it( 'does not send a draft that fails client-side validation', async () => {
		const h = harness(
			edited( [
				[ 'default_duration', 2 ],
				[ 'enabled', false ],
			] )
		);
		await expect( actions.saveSettings()( h.args ) ).resolves.toBe( false );
		expect( update ).not.toHaveBeenCalled();
		expect( h.state().fieldErrors ).toEqual( {
			default_duration: 'Enter a number of at least 5.',
		} );
		expect( h.state().draft ).toEqual( {
			default_duration: 2,
			enabled: false,
		} );
		expect( h.notices.createErrorNotice ).toHaveBeenCalled();
	} );

	it( 'explains an unreachable sidecar and keeps the draft', async () => {
		update.mockRejectedValue(
			new ApiError( 'sidecar_unavailable', 'down', 503 )
		);
		const h = harness( edited( [ [ 'enabled', false ] ] ) );
		await expect( actions.saveSettings()( h.args ) ).resolves.toBe( false );
		expect( h.state().draft ).toEqual( { enabled: false } );
		expect( h.state().fieldErrors ).toEqual( {} );
		expect( h.notices.createErrorNotice ).toHaveBeenCalledWith(
			expect.stringContaining( 'BKX_VIDEO_SIDECAR_URL' ),
			expect.anything()
		);
	} );

	it( 'does nothing without changes or while saving', async () => {
		const clean = harness( loadedState() );
		await expect( actions.saveSettings()( clean.args ) ).resolves.toBe(
			true
		);
		const busy = harness(
			reducer( edited( [ [ 'enabled', false ] ] ), {
				type: 'SAVE_START',
			} )
		);
		await expect( actions.saveSettings()( busy.args ) ).resolves.toBe(
			false
		);
		expect( update ).not.toHaveBeenCalled();
	} );
} );

import { describe, expect, it } from 'vitest';

import reducer, { initialState } from '../reducer';
import { deepFreeze, loadedState, makeView, reduce } from './fixtures';

describe( 'reducer', () => {
	it( 'starts empty', () => {
		expect( reducer( undefined, { type: '@@INIT' } as never ) ).toEqual(
			initialState
		);
	} );

	it( 'tracks loading and receives the settings view', () => {
		const loading = reduce( [ { type: 'SETTINGS_LOAD_START' } ] );
		expect( loading.isLoading ).toBe( true );
		const state = reduce(
			[ { type: 'RECEIVE_SETTINGS', view: makeView() } ],
			loading
		);
		expect( state.isLoading ).toBe( false );
		expect( state.settings?.default_duration ).toBe( 30 );
		expect( state.secrets.zoom_client_secret ).toEqual( {
			is_set: true,
			tail: 'abcd',
		} );
		expect( state.settings ).not.toHaveProperty( 'zoom_client_secret' );
	} );

	it( 'keeps a load error', () => {
		const error = {
			code: 'sidecar_unavailable',
			message: 'down',
			status: 503,
		};
		const state = reduce( [
			{ type: 'SETTINGS_LOAD_START' },
			{ type: 'RECEIVE_SETTINGS_ERROR', error },
		] );
		expect( state.loadError ).toEqual( error );
		expect( state.isLoading ).toBe( false );
	} );

	it( 'puts edits in the draft and drops edits back to the saved value', () => {
		let state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'default_duration',
					value: 45,
					error: null,
				},
			],
			loadedState()
		);
		expect( state.draft ).toEqual( { default_duration: 45 } );
		state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'default_duration',
					value: 30,
					error: null,
				},
			],
			state
		);
		expect( state.draft ).toEqual( {} );
	} );

	it( 'compares list settings by value', () => {
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'webrtc_stun_servers',
					value: [ 'stun:stun.l.google.com:19302' ],
					error: null,
				},
			],
			loadedState()
		);
		expect( state.draft ).toEqual( {} );
	} );

	it( 'treats an empty secret as "keep" and null as "clear"', () => {
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'zoom_client_secret',
					value: 'new-secret',
					error: null,
				},
				{
					type: 'EDIT_SETTING',
					key: 'zoom_client_secret',
					value: '',
					error: null,
				},
				{
					type: 'EDIT_SETTING',
					key: 'zoom_webhook_secret',
					value: null,
					error: null,
				},
			],
			loadedState()
		);
		expect( state.draft ).toEqual( { zoom_webhook_secret: null } );
	} );

	it( 'sets and clears a field error with the edit', () => {
		let state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'default_duration',
					value: 2,
					error: 'Enter a number of at least 5.',
				},
			],
			loadedState()
		);
		expect( state.fieldErrors ).toEqual( {
			default_duration: 'Enter a number of at least 5.',
		} );
		expect( state.draft ).toEqual( { default_duration: 2 } );
		state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'default_duration',
					value: 20,
					error: null,
				},
			],
			state
		);
		expect( state.fieldErrors ).toEqual( {} );
	} );

	it( 'keeps the draft and records field errors when a save fails', () => {
		const before = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'zoom_account_id',
					value: 'acc',
					error: null,
				},
				{ type: 'SAVE_START' },
			],
			loadedState()
		);
		expect( before.isSaving ).toBe( true );
		const after = reduce(
			[
				{
					type: 'SAVE_FAILURE',
					error: {
						code: 'invalid_request',
						message: 'x',
						status: 400,
					},
					fieldErrors: { zoom_account_id: 'Unknown account.' },
				},
			],
			before
		);
		expect( after.isSaving ).toBe( false );
		expect( after.draft ).toEqual( { zoom_account_id: 'acc' } );
		expect( after.fieldErrors ).toEqual( {
			zoom_account_id: 'Unknown account.',
		} );
	} );

	it( 'merges a successful save and clears only the saved, unchanged keys', () => {
		const view = makeView();
		view.settings.default_duration = 45;
		view.secrets.zoom_webhook_secret = { is_set: true, tail: 'wxyz' };
		const sent = { default_duration: 45, zoom_webhook_secret: 'sec-wxyz' };
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'default_duration',
					value: 45,
					error: null,
				},
				{
					type: 'EDIT_SETTING',
					key: 'zoom_webhook_secret',
					value: 'sec-wxyz',
					error: null,
				},
				{ type: 'SET_FIELD_ERRORS', fieldErrors: { _: 'old' } },
				{ type: 'SAVE_START' },
				// Typed while the request was in flight: must survive.
				{
					type: 'EDIT_SETTING',
					key: 'max_participants',
					value: 12,
					error: null,
				},
				{ type: 'SAVE_SUCCESS', view, sent },
			],
			loadedState()
		);
		expect( state.isSaving ).toBe( false );
		expect( state.settings?.default_duration ).toBe( 45 );
		expect( state.secrets.zoom_webhook_secret ).toEqual( {
			is_set: true,
			tail: 'wxyz',
		} );
		expect( state.secrets.zoom_client_secret?.is_set ).toBe( true );
		expect( state.draft ).toEqual( { max_participants: 12 } );
		expect( state.fieldErrors ).toEqual( {} );
	} );

	it( 'keeps a key edited again while saving', () => {
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'default_duration',
					value: 46,
					error: null,
				},
				{
					type: 'SAVE_SUCCESS',
					view: makeView(),
					sent: { default_duration: 45 },
				},
			],
			loadedState()
		);
		expect( state.draft ).toEqual( { default_duration: 46 } );
	} );

	it( 'discards the draft and its errors', () => {
		const state = reduce(
			[
				{
					type: 'EDIT_SETTING',
					key: 'default_duration',
					value: 2,
					error: 'bad',
				},
				{ type: 'DISCARD_DRAFT' },
			],
			loadedState()
		);
		expect( state.draft ).toEqual( {} );
		expect( state.fieldErrors ).toEqual( {} );
	} );

	it( 'tracks the sidecar status', () => {
		const status = {
			version: '0.1.0',
			migrations: { current: '001', pending: [] },
			outbox_backlog: 0,
			platform_health: [],
			failovers: [],
			time: '2025-01-01T00:00:00Z',
		};
		let state = reduce( [ { type: 'SIDECAR_STATUS_START' } ] );
		expect( state.sidecarStatus.isLoading ).toBe( true );
		state = reduce( [ { type: 'RECEIVE_SIDECAR_STATUS', status } ], state );
		expect( state.sidecarStatus ).toEqual( {
			data: status,
			error: null,
			isLoading: false,
		} );
		const error = {
			code: 'sidecar_unavailable',
			message: 'down',
			status: 503,
		};
		state = reduce(
			[ { type: 'RECEIVE_SIDECAR_STATUS_ERROR', error } ],
			state
		);
		expect( state.sidecarStatus ).toEqual( {
			data: null,
			error,
			isLoading: false,
		} );
	} );

	it( 'ignores unknown actions', () => {
		const state = deepFreeze( loadedState() );
		expect( reducer( state, { type: 'OTHER' } as never ) ).toBe( state );
	} );
} );

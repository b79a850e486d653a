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

import { api } from '../../api';
import * as resolvers from '../resolvers';
import { makeView } from './fixtures';

beforeEach( () => {
	vi.clearAllMocks();
} );

describe( 'resolvers', () => {
	it( 'getSettings loads the view', async () => {
		const view = makeView();
		vi.mocked( api.settings.get ).mockResolvedValue( view );
		const dispatch = vi.fn();
		await resolvers.getSettings()( { dispatch } );
		expect( dispatch.mock.calls ).toEqual( [
			[ { type: 'SETTINGS_LOAD_START' } ],
			[ { type: 'RECEIVE_SETTINGS', view } ],
		] );
	} );

	it( 'getSettings records a load error', async () => {
		vi.mocked( api.settings.get ).mockRejectedValue( {
			code: 'rest_forbidden',
			message: 'Sorry.',
			data: { status: 403 },
		} );
		const dispatch = vi.fn();
		await resolvers.getSettings()( { dispatch } );
		expect( dispatch ).toHaveBeenLastCalledWith( {
			type: 'RECEIVE_SETTINGS_ERROR',
			error: { code: 'rest_forbidden', message: 'Sorry.', status: 403 },
		} );
	} );

	it( 'getSidecarStatus loads GET /status', async () => {
		const status = {
			version: '0.1.0',
			migrations: { current: '002', pending: [ '003_x' ] },
			outbox_backlog: 2,
			platform_health: [],
			failovers: [],
			time: '2025-01-01T00:00:00Z',
		};
		vi.mocked( api.status.get ).mockResolvedValue( status );
		const dispatch = vi.fn();
		await resolvers.getSidecarStatus()( { dispatch } );
		expect( dispatch.mock.calls ).toEqual( [
			[ { type: 'SIDECAR_STATUS_START' } ],
			[ { type: 'RECEIVE_SIDECAR_STATUS', status } ],
		] );
	} );

	it( 'getSidecarStatus records 503 sidecar_unavailable', async () => {
		vi.mocked( api.status.get ).mockRejectedValue( {
			code: 'sidecar_unavailable',
			message: 'The video consultation service is not reachable.',
			data: { status: 503 },
		} );
		const dispatch = vi.fn();
		await resolvers.getSidecarStatus()( { dispatch } );
		expect( dispatch ).toHaveBeenLastCalledWith( {
			type: 'RECEIVE_SIDECAR_STATUS_ERROR',
			error: {
				code: 'sidecar_unavailable',
				message: 'The video consultation service is not reachable.',
				status: 503,
			},
		} );
	} );
} );

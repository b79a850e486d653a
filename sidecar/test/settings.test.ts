import { DEFAULT_SETTINGS } from '@bkx-video/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN, PREFIX, call, setup, type TestContext } from './helper';

let ctx: TestContext;
beforeAll( async () => {
	ctx = await setup( { clockStart: new Date().toISOString() } );
} );
afterAll( async () => ctx?.close() );

const rows = async () => ctx.db.knex( `${ PREFIX }bkx_video_settings` ).select();

describe( 'settings', () => {
	it( 'returns the spec defaults with secrets masked', async () => {
		const res = await call( ctx.app, ADMIN, 'GET', '/v1/settings' );
		expect( res.status ).toBe( 200 );
		const body = res.json as { settings: Record< string, unknown >; secrets: Record< string, unknown > };
		expect( body.settings.default_duration ).toBe( DEFAULT_SETTINGS.default_duration );
		expect( body.settings ).not.toHaveProperty( 'zoom_client_secret' );
		expect( body.secrets.jitsi_app_secret ).toEqual( { is_set: false, tail: '' } );
	} );

	it( 'saves valid values, encrypts secrets at rest and never returns them', async () => {
		const secret = 'jitsi-app-secret-value-1234';
		const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', {
			jitsi_enabled: true,
			jitsi_app_id: 'bkx',
			jitsi_app_secret: secret,
			password_length: 8,
		} );
		expect( res.status ).toBe( 200 );
		expect( JSON.stringify( res.json ) ).not.toContain( secret );
		expect( res.json ).toMatchObject( { settings: { jitsi_enabled: true, password_length: 8 }, secrets: { jitsi_app_secret: { is_set: true, tail: '1234' } } } );
		const stored = await rows();
		const row = stored.find( ( r ) => r.setting_key === 'jitsi_app_secret' );
		expect( row.is_secret ).toBe( 1 );
		expect( row.setting_value ).not.toContain( secret );
		const again = await call( ctx.app, ADMIN, 'GET', '/v1/settings' );
		expect( JSON.stringify( again.json ) ).not.toContain( secret );
		expect( again.json ).toMatchObject( { settings: { jitsi_app_id: 'bkx' } } );
	} );

	it( 'keeps a secret when it is absent from the update and clears it on null', async () => {
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { jitsi_app_id: 'bkx2' } );
		let view = await call( ctx.app, ADMIN, 'GET', '/v1/settings' );
		expect( view.json ).toMatchObject( { secrets: { jitsi_app_secret: { is_set: true } } } );
		await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { jitsi_app_secret: null } );
		view = await call( ctx.app, ADMIN, 'GET', '/v1/settings' );
		expect( view.json ).toMatchObject( { secrets: { jitsi_app_secret: { is_set: false } } } );
	} );

	it( 'returns 400 invalid_request with per-field details and writes nothing', async () => {
		const before = await rows();
		const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', {
			password_length: 99,
			jitsi_server_url: 'ftp://nope',
			ip_whitelist: [ '10.0.0.0/8', 'not-an-ip' ],
			enable_chat: true,
			typo_key: 1,
		} );
		expect( res.status ).toBe( 400 );
		expect( res.json ).toMatchObject( { code: 'invalid_request', data: { status: 400 } } );
		const details = ( res.json as { data: { details: Record< string, string > } } ).data.details;
		expect( Object.keys( details ).sort() ).toEqual( [ 'ip_whitelist.1', 'jitsi_server_url', 'password_length', 'typo_key' ] );
		expect( await rows() ).toEqual( before );
	} );

	it( 'returns 400 for a body that is not JSON, writing nothing', async () => {
		const before = await rows();
		const res = await ctx.app.inject( { method: 'PUT', url: '/v1/settings', headers: { 'content-type': 'application/json' }, payload: '{nope' } );
		expect( res.statusCode ).toBe( 400 );
		expect( await rows() ).toEqual( before );
	} );

	it( 'returns 403 forbidden to a customer, a provider and a manager', async () => {
		for ( const who of [
			{ sub: 7, caps: [], email: 'c@example.test' },
			{ sub: 8, caps: [ 'bkx_video_conduct' ] },
			{ sub: 9, caps: [ 'bkx_video_manage' ] },
		] ) {
			expect( ( await call( ctx.app, who, 'GET', '/v1/settings' ) ).status ).toBe( 403 );
			const put = await call( ctx.app, who, 'PUT', '/v1/settings', { enable_chat: false } );
			expect( put.status ).toBe( 403 );
			expect( put.json ).toMatchObject( { code: 'forbidden' } );
		}
	} );

	it( 'reports status to admins only', async () => {
		const res = await call( ctx.app, ADMIN, 'GET', '/v1/status' );
		expect( res.status ).toBe( 200 );
		expect( res.json ).toMatchObject( { migrations: { pending: [] }, outbox_backlog: 0 } );
		expect( ( await call( ctx.app, { sub: 7 }, 'GET', '/v1/status' ) ).status ).toBe( 403 );
	} );

	it( 'answers health and readiness', async () => {
		expect( ( await ctx.app.inject( '/healthz' ) ).statusCode ).toBe( 200 );
		expect( ( await ctx.app.inject( '/readyz' ) ).json() ).toEqual( { ok: true } );
	} );
} );

/**
 * Secrets never reach the logs: identity tokens, guest access tokens, passwords, e-mails.
 */
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp, defaultLogger } from '../src/app';
import { migrateLatest } from '../src/db/migrate';
import { ADMIN, createTestDatabase, createWordPressTables, signIdentity, testConfig, type TestDb } from './helper';

let db: TestDb;
const lines: string[] = [];

beforeAll( async () => {
	db = await createTestDatabase();
	await createWordPressTables( db.knex );
} );
afterAll( async () => db?.drop() );

describe( 'logs', () => {
	it( 'redact identity headers, guest tokens in URLs and secret fields', async () => {
		const stream = new Writable( {
			write( chunk, _enc, done ) {
				lines.push( chunk.toString() );
				done();
			},
		} );
		const config = testConfig( db.name, { BKX_VIDEO_LOG_LEVEL: 'info' } );
		const app = await buildApp( { config, knex: db.knex, logger: { ...( defaultLogger( 'info' ) as object ), stream } } );
		await migrateLatest( db.knex, app.tables );
		const token = 'GuestToken_' + 'x'.repeat( 32 );
		const path = `/v1/consultations/current?bkx_vc=${ token }`;
		const identity = await signIdentity( { sub: 0, method: 'GET', path } );
		await app.inject( { method: 'GET', url: path, headers: { 'x-bkx-identity': identity, cookie: 'wordpress_logged_in=secret-cookie' } } );
		const body = JSON.stringify( { jitsi_app_secret: 'super-secret-value-123' } );
		const put = await signIdentity( { ...ADMIN, method: 'PUT', path: '/v1/settings', body } );
		await app.inject( { method: 'PUT', url: '/v1/settings', headers: { 'x-bkx-identity': put, 'content-type': 'application/json' }, payload: body } );
		app.log.info( { email: 'person@example.test', secret: 'abc-secret', nested: { client_secret: 'cs-123' } }, 'probe' );
		await app.close();
		const all = lines.join( '' );
		expect( all ).toContain( '"url":"/v1/consultations/current?bkx_vc=[redacted]"' );
		expect( all ).toContain( 'probe' );
		for ( const secret of [ token, identity, 'secret-cookie', 'super-secret-value-123', 'person@example.test', 'abc-secret', 'cs-123' ] ) {
			expect( all ).not.toContain( secret );
		}
	} );
} );

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ApiError, createClient, createFetchFetcher, toApiError } from '../src/index';
import type { Fetcher } from '../src/index';
import { createClient as createLiteClient } from '../src/lite';
import { TOKEN, joinResponse, settingsView, status, view } from './fixtures';
import { startServer } from './server';
import type { TestServer } from './server';

const NS = '/wp-json/bookingx/v1/video';

let server: TestServer;
let fetcher: Fetcher;

beforeAll( async () => {
	server = await startServer();
	fetcher = createFetchFetcher( { baseUrl: `${ server.baseUrl }/`, headers: { 'X-WP-Nonce': 'n0nce' } } );
} );
afterAll( () => server.close() );
beforeEach( () => {
	server.routes.clear();
	server.requests.length = 0;
} );

async function rejection( promise: Promise< unknown > ): Promise< ApiError > {
	try {
		await promise;
	} catch ( e ) {
		expect( e ).toBeInstanceOf( ApiError );
		return e as ApiError;
	}
	throw new Error( 'expected a rejection' );
}

describe( 'createClient (parsed)', () => {
	it( 'GETs consultations/current with the bkx_vc token and parses the view', async () => {
		server.routes.set( `GET ${ NS }/consultations/current?bkx_vc=${ TOKEN }`, () => ( { status: 200, body: view } ) );
		const client = createClient( { fetcher } );
		await expect( client.consultations.current( { accessToken: TOKEN } ) ).resolves.toEqual( view );
		expect( server.requests[ 0 ]?.headers[ 'x-wp-nonce' ] ).toBe( 'n0nce' );
	} );

	it( 'omits the query string without a token and url-encodes one that needs it', async () => {
		server.routes.set( `GET ${ NS }/consultations/current`, () => ( { status: 200, body: view } ) );
		server.routes.set( `GET ${ NS }/consultations/7?bkx_vc=a%2Bb%26c`, () => ( { status: 200, body: view } ) );
		const client = createClient( { fetcher } );
		await client.consultations.current();
		await client.consultations.get( 7, { accessToken: 'a+b&c' } );
		expect( server.requests.map( ( r ) => r.url ) ).toEqual( [
			`${ NS }/consultations/current`,
			`${ NS }/consultations/7?bkx_vc=a%2Bb%26c`,
		] );
	} );

	it( 'POSTs join and parses the join response', async () => {
		server.routes.set( `POST ${ NS }/consultations/7/join?bkx_vc=${ TOKEN }`, () => ( { status: 200, body: joinResponse } ) );
		const client = createClient( { fetcher } );
		await expect( client.consultations.join( 7, { accessToken: TOKEN } ) ).resolves.toEqual( joinResponse );
		expect( server.requests[ 0 ]?.method ).toBe( 'POST' );
	} );

	it( 'PUTs the settings patch as JSON and parses settings and status', async () => {
		server.routes.set( `PUT ${ NS }/settings`, () => ( { status: 200, body: settingsView } ) );
		server.routes.set( `GET ${ NS }/settings`, () => ( { status: 200, body: settingsView } ) );
		server.routes.set( `GET ${ NS }/status`, () => ( { status: 200, body: status } ) );
		const client = createClient( { fetcher } );
		await expect( client.settings.update( { default_duration: 45, zoom_client_secret: null } ) ).resolves.toEqual( settingsView );
		expect( JSON.parse( server.requests[ 0 ]?.body ?? '' ) ).toEqual( { default_duration: 45, zoom_client_secret: null } );
		expect( server.requests[ 0 ]?.headers[ 'content-type' ] ).toBe( 'application/json' );
		await expect( client.settings.get() ).resolves.toEqual( settingsView );
		await expect( client.status.get() ).resolves.toEqual( status );
	} );

	it( 'throws ApiError meeting_not_found 404 with the WP_Error data', async () => {
		server.routes.set( `GET ${ NS }/consultations/9`, () => ( {
			status: 404,
			body: { code: 'meeting_not_found', message: 'Meeting not found. Please contact support.', data: { status: 404, request_id: 'r1' } },
		} ) );
		const err = await rejection( createClient( { fetcher } ).consultations.get( 9 ) );
		expect( err ).toMatchObject( {
			code: 'meeting_not_found',
			message: 'Meeting not found. Please contact support.',
			status: 404,
			data: { status: 404, request_id: 'r1' },
		} );
	} );

	it( 'carries data.details of a 400 invalid_request as details', async () => {
		server.routes.set( `PUT ${ NS }/settings`, () => ( {
			status: 400,
			body: { code: 'invalid_request', message: 'Some details are missing or invalid.', data: { status: 400, details: { default_duration: 'Too small' } } },
		} ) );
		const err = await rejection( createClient( { fetcher } ).settings.update( { default_duration: 1 } ) );
		expect( err.code ).toBe( 'invalid_request' );
		expect( err.status ).toBe( 400 );
		expect( err.details ).toEqual( { default_duration: 'Too small' } );
	} );

	it( 'takes the status from the response when the body has none, and maps a non-JSON error to unknown_error', async () => {
		server.routes.set( `GET ${ NS }/status`, () => ( { status: 503, body: { code: 'platform_unavailable', message: 'Down' } } ) );
		server.routes.set( `GET ${ NS }/settings`, () => ( { status: 502, body: '<html>Bad gateway</html>', raw: true } ) );
		const client = createClient( { fetcher } );
		expect( await rejection( client.status.get() ) ).toMatchObject( { code: 'platform_unavailable', status: 503 } );
		expect( await rejection( client.settings.get() ) ).toMatchObject( { code: 'unknown_error', status: 502 } );
	} );

	it( 'maps a refused connection to fetch_error with status 0', async () => {
		const dead = await startServer();
		await dead.close();
		const client = createClient( { fetcher: createFetchFetcher( { baseUrl: dead.baseUrl } ) } );
		expect( await rejection( client.consultations.current() ) ).toMatchObject( { code: 'fetch_error', status: 0 } );
	} );

	it( 'throws invalid_response with per-field details when the body does not match the schema', async () => {
		const { provider_name: _dropped, ...partial } = view;
		server.routes.set( `GET ${ NS }/consultations/current`, () => ( { status: 200, body: { ...partial, state: 'soon' } } ) );
		const err = await rejection( createClient( { fetcher } ).consultations.current() );
		expect( err.code ).toBe( 'invalid_response' );
		expect( Object.keys( err.details ?? {} ).sort() ).toEqual( [ 'provider_name', 'state' ] );
	} );

	it( 'rejects a join response whose join_url is not a URL', async () => {
		server.routes.set( `POST ${ NS }/consultations/7/join`, () => ( { status: 200, body: { ...joinResponse, join_url: 'nope' } } ) );
		const err = await rejection( createClient( { fetcher } ).consultations.join( 7 ) );
		expect( err.code ).toBe( 'invalid_response' );
		expect( err.details ).toHaveProperty( 'join_url' );
	} );

	it( 'refuses a non-positive id with invalid_request before sending anything', async () => {
		const err = await rejection( createClient( { fetcher } ).consultations.join( 0 ) );
		expect( err.code ).toBe( 'invalid_request' );
		expect( server.requests ).toHaveLength( 0 );
	} );
} );

describe( 'toApiError (apiFetch shapes)', () => {
	it( 'normalizes the WP_Error object apiFetch throws', () => {
		const err = toApiError( { code: 'forbidden', message: "You don't have access to this consultation.", data: { status: 403 } } );
		expect( err ).toMatchObject( { code: 'forbidden', status: 403, message: "You don't have access to this consultation." } );
	} );

	it( 'normalizes apiFetch offline errors and thrown TypeErrors to fetch_error', () => {
		expect( toApiError( { code: 'fetch_error', message: 'You are probably offline.' } ) ).toMatchObject( { code: 'fetch_error', status: 0 } );
		expect( toApiError( new TypeError( 'Failed to fetch' ) ) ).toMatchObject( { code: 'fetch_error', status: 0 } );
		expect( toApiError( undefined ) ).toMatchObject( { code: 'fetch_error' } );
	} );

	it( 'is used for whatever a custom fetcher throws', async () => {
		const apiFetchLike: Fetcher = () => Promise.reject( { code: 'rest_forbidden', message: 'Sorry, you are not allowed to do that.', data: { status: 401 } } );
		const err = await rejection( createClient( { fetcher: apiFetchLike } ).consultations.current() );
		expect( err ).toMatchObject( { code: 'rest_forbidden', status: 401 } );
	} );
} );

describe( 'lite client', () => {
	it( 'returns the body unparsed and uses the same paths', async () => {
		server.routes.set( `GET ${ NS }/consultations/current?bkx_vc=${ TOKEN }`, () => ( { status: 200, body: { ...view, extra: 1 } } ) );
		server.routes.set( `POST ${ NS }/consultations/7/join?bkx_vc=${ TOKEN }`, () => ( { status: 200, body: joinResponse } ) );
		const lite = createLiteClient( { fetcher } );
		await expect( lite.consultations.current( { accessToken: TOKEN } ) ).resolves.toEqual( { ...view, extra: 1 } );
		await expect( lite.consultations.join( 7, { accessToken: TOKEN } ) ).resolves.toEqual( joinResponse );
	} );

	it( 'normalizes errors and rejects a non-object body as invalid_response', async () => {
		server.routes.set( `GET ${ NS }/consultations/current`, () => ( { status: 200, body: 'hello' } ) );
		server.routes.set( `GET ${ NS }/consultations/3`, () => ( { status: 410, body: { code: 'meeting_ended', message: 'This meeting has ended.', data: { status: 410 } } } ) );
		const lite = createLiteClient( { fetcher } );
		expect( await rejection( lite.consultations.current() ) ).toMatchObject( { code: 'invalid_response' } );
		expect( await rejection( lite.consultations.get( 3 ) ) ).toMatchObject( { code: 'meeting_ended', status: 410 } );
	} );
} );

/**
 * Microsoft Graph's subscription validation handshake through the real WordPress route
 * (`/wp-json/bookingx/v1/video/teams/webhook`, public, php -S): Graph POSTs with
 * `?validationToken=<URL-encoded token>` and `Content-Type: text/plain`, and must get the decoded
 * token back as text/plain within 10 s, untouched by WordPress (no JSON quotes, no notice), on the
 * pretty URL the sidecar gives Graph and on the `?rest_route=` form alike. A notification with a
 * clientState that is not ours comes back 401 with the sidecar's error code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startStack, type Stack } from '../src/stack';

let stack: Stack;
beforeAll( async () => {
	stack = await startStack( { configureJitsi: false } );
} );
afterAll( async () => {
	await stack?.stop();
} );

/** As Graph's fake sends it: spaces, ':' and '+' that must survive two hops of URL decoding. */
const TOKEN = 'Validation: Testing client application reachability for subscription Request-Id: 7f1e+a2/b3?c=4&d';

describe( 'Teams webhooks through WordPress', () => {
	it( 'answers the Graph validation handshake with the token as text/plain', async () => {
		for ( const url of [
			`${ stack.site.url }/wp-json/bookingx/v1/video/teams/webhook?validationToken=${ encodeURIComponent( TOKEN ) }`,
			`${ stack.site.url }/?rest_route=/bookingx/v1/video/teams/webhook&validationToken=${ encodeURIComponent( TOKEN ) }`,
		] ) {
			const started = Date.now();
			const res = await fetch( url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' } );
			expect( res.status ).toBe( 200 );
			expect( res.headers.get( 'content-type' ) ).toMatch( /^text\/plain/ );
			expect( await res.text() ).toBe( TOKEN );
			expect( Date.now() - started ).toBeLessThan( 10_000 );
		}
	} );

	it( 'refuses a notification whose clientState is not ours with 401', async () => {
		const res = await fetch( `${ stack.site.url }/wp-json/bookingx/v1/video/teams/webhook`, {
			method: 'POST',
			headers: { 'content-type': 'application/json; charset=utf-8' },
			body: JSON.stringify( { value: [ { subscriptionId: 'f00d', clientState: 'guess', changeType: 'updated', resource: 'communications/onlineMeetings' } ] } ),
		} );
		expect( res.status ).toBe( 401 );
		expect( await res.json() ).toMatchObject( { code: 'webhook_signature_invalid' } );
	} );
} );

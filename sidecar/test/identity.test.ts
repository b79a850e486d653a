import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN, SECRET, setup, signIdentity, type TestContext } from './helper';

let ctx: TestContext;
beforeAll( async () => {
	ctx = await setup( { clockStart: new Date().toISOString() } );
} );
afterAll( async () => ctx?.close() );

async function send( token: string | undefined, opts: { method?: 'GET' | 'PUT'; url?: string; body?: string } = {} ) {
	const res = await ctx.app.inject( {
		method: opts.method ?? 'GET',
		url: opts.url ?? '/v1/settings',
		headers: { ...( token ? { 'x-bkx-identity': token } : {} ), ...( opts.body ? { 'content-type': 'application/json' } : {} ) },
		payload: opts.body,
	} );
	return { status: res.statusCode, json: JSON.parse( res.body ) as { code: string; data: { status: number; reason?: string } } };
}

describe( 'identity verification', () => {
	it( 'accepts a token signed for exactly this request', async () => {
		const res = await send( await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings' } ) );
		expect( res.status ).toBe( 200 );
	} );

	it( 'returns 401 unauthenticated without a token', async () => {
		const res = await send( undefined );
		expect( res.status ).toBe( 401 );
		expect( res.json ).toMatchObject( { code: 'unauthenticated', data: { status: 401, reason: 'identity_missing' } } );
	} );

	it( 'returns 401 for a forged signature', async () => {
		const token = await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings', secret: 'another-secret-0123456789abcdef0123456789' } );
		const res = await send( token );
		expect( res.status ).toBe( 401 );
		expect( res.json ).toMatchObject( { code: 'identity_rejected', data: { reason: 'identity_invalid' } } );
	} );

	it( 'returns 401 for a token whose payload was edited after signing', async () => {
		const token = await signIdentity( { sub: 5, caps: [], method: 'GET', path: '/v1/settings' } );
		const [ h, p, s ] = token.split( '.' );
		const claims = JSON.parse( Buffer.from( p!, 'base64url' ).toString() ) as Record< string, unknown >;
		claims.caps = [ 'manage_options' ];
		const forged = [ h, Buffer.from( JSON.stringify( claims ) ).toString( 'base64url' ), s ].join( '.' );
		expect( ( await send( forged ) ).status ).toBe( 401 );
	} );

	it( 'returns 401 for alg none', async () => {
		const header = Buffer.from( JSON.stringify( { alg: 'none', typ: 'JWT' } ) ).toString( 'base64url' );
		const now = Math.floor( Date.now() / 1000 );
		const payload = Buffer.from( JSON.stringify( { ...ADMIN, method: 'GET', path: '/v1/settings', body_sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', iat: now, exp: now + 30, jti: randomBytes( 16 ).toString( 'hex' ) } ) ).toString( 'base64url' );
		expect( ( await send( `${ header }.${ payload }.` ) ).status ).toBe( 401 );
	} );

	it( 'returns 401 for an HS512 token (only HS256 is accepted)', async () => {
		expect( ( await send( await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings', alg: 'HS512' } ) ) ).status ).toBe( 401 );
	} );

	it( 'returns 401 for an expired token', async () => {
		const iat = Math.floor( Date.now() / 1000 ) - 120;
		const res = await send( await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings', iat, exp: iat + 30 } ) );
		expect( res.status ).toBe( 401 );
	} );

	it( 'returns 401 for a token that lives longer than 60 s', async () => {
		const iat = Math.floor( Date.now() / 1000 );
		const res = await send( await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings', iat, exp: iat + 3600 } ) );
		expect( res.json.data.reason ).toBe( 'identity_too_long' );
	} );

	it( 'returns 401 when the body was tampered with', async () => {
		const token = await signIdentity( { ...ADMIN, method: 'PUT', path: '/v1/settings', body: '{"enable_chat":true}' } );
		const res = await send( token, { method: 'PUT', body: '{"enable_chat":false}' } );
		expect( res.status ).toBe( 401 );
		expect( res.json.data.reason ).toBe( 'identity_body_mismatch' );
	} );

	it( 'returns 401 when the path or method differs from the signed one', async () => {
		const token = await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/status' } );
		expect( ( await send( token ) ).json.data.reason ).toBe( 'identity_request_mismatch' );
		const token2 = await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings?x=1' } );
		expect( ( await send( token2, { url: '/v1/settings?x=2' } ) ).status ).toBe( 401 );
	} );

	it( 'returns 401 when a jti is replayed', async () => {
		const token = await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings' } );
		expect( ( await send( token ) ).status ).toBe( 200 );
		const again = await send( token );
		expect( again.status ).toBe( 401 );
		expect( again.json.data.reason ).toBe( 'identity_replayed' );
	} );

	it( 'never needs a secret other than the shared one', () => {
		expect( SECRET.length ).toBeGreaterThanOrEqual( 32 );
	} );
} );

describe( 'replay guard', () => {
	it( 'remembers a jti for as long as its token can still be accepted', async () => {
		const { createReplayGuard } = await import( '../src/plugins/app/identity' );
		let now = 1_000_000_000_000;
		const guard = createReplayGuard( () => new Date( now ), 10, 5 );
		const exp = now / 1000 + 30;
		expect( guard.firstUse( 'a'.repeat( 32 ), exp ) ).toBe( true );
		now += 33_000; // past exp, within the tolerance; a sweep runs
		expect( guard.firstUse( 'b'.repeat( 32 ), exp + 60 ) ).toBe( true );
		expect( guard.firstUse( 'a'.repeat( 32 ), exp ) ).toBe( false );
	} );
} );

import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { IdentityClaimsSchema } from '@bkx-video/contracts';
import { SignJWT } from 'jose';

import { sha256Hex } from '../src/crypto';
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

	it( 'accepts the header with its keys in another order (only the algorithm matters)', async () => {
		const iat = Math.floor( Date.now() / 1000 );
		// PHP sends `sub` as a number; jose's types expect a string, hence the cast.
		const claims = { ...ADMIN, sub: ADMIN.sub as unknown as string, method: 'GET', path: '/v1/settings', body_sha256: sha256Hex( '' ), jti: randomBytes( 16 ).toString( 'hex' ) };
		const token = await new SignJWT( claims )
			.setProtectedHeader( { typ: 'JWT', alg: 'HS256' } )
			.setIssuedAt( iat )
			.setExpirationTime( iat + 30 )
			.sign( new TextEncoder().encode( SECRET ) );
		expect( Buffer.from( token.split( '.' )[ 0 ]!, 'base64url' ).toString() ).toBe( '{"typ":"JWT","alg":"HS256"}' );
		expect( ( await send( token ) ).status ).toBe( 200 );
	} );

	it( 'rejects a signature spelled another way that decodes to the same bytes, without using up the jti', async () => {
		const token = await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings' } );
		const signature = token.slice( token.lastIndexOf( '.' ) + 1 );
		// 43 base64url characters carry 258 bits for 256: the last one's two low bits are padding.
		const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
		const respelled = signature.slice( 0, -1 ) + alphabet[ alphabet.indexOf( signature.slice( -1 ) ) ^ 1 ];
		expect( Buffer.from( respelled, 'base64url' ).equals( Buffer.from( signature, 'base64url' ) ) ).toBe( true );
		const forged = await send( token.slice( 0, token.lastIndexOf( '.' ) + 1 ) + respelled );
		expect( forged.status ).toBe( 401 );
		expect( forged.json.data.reason ).toBe( 'identity_invalid' );
		expect( ( await send( `${ token }=` ) ).status ).toBe( 401 );
		expect( ( await send( token ) ).status ).toBe( 200 );
	} );

	it( 'takes claims the hand check does not know (sub as a numeric string) to the schema, and refuses malformed ones', async () => {
		const numericString = await signIdentity( { ...ADMIN, sub: '1' as unknown as number, method: 'GET', path: '/v1/settings' } );
		expect( ( await send( numericString ) ).status ).toBe( 200 );
		const shortJti = await signIdentity( { ...ADMIN, method: 'GET', path: '/v1/settings', jti: 'abc' } );
		const res = await send( shortJti );
		expect( res.status ).toBe( 401 );
		expect( res.json.data.reason ).toBe( 'identity_malformed' );
	} );

	it( 'never needs a secret other than the shared one', () => {
		expect( SECRET.length ).toBeGreaterThanOrEqual( 32 );
	} );
} );

describe( 'claims check', () => {
	const base = {
		sub: 7,
		roles: [ 'subscriber' ],
		caps: [],
		email: 'c@example.test',
		name: 'Cara',
		method: 'POST',
		path: '/v1/consultations/3/join',
		body_sha256: sha256Hex( '' ),
		iat: 1_800_000_000,
		exp: 1_800_000_030,
		jti: 'a'.repeat( 32 ),
	};

	it( 'returns what the schema returns whenever it answers, and leaves the rest to the schema', async () => {
		const { plainClaims } = await import( '../src/plugins/app/identity' );
		const cases: Array< Record< string, unknown > > = [
			base,
			{ ...base, email: null, name: null },
			{ ...base, email: undefined, name: undefined },
			{ ...base, extra: 'dropped', roles: Array.from( { length: 20 }, ( _, i ) => `r${ i }` ) },
			{ ...base, body_sha256: 'f'.repeat( 64 ), sub: 0 },
			{ ...base, sub: '7' },
			{ ...base, sub: -1 },
			{ ...base, sub: 1.5 },
			{ ...base, roles: Array.from( { length: 21 }, () => 'r' ) },
			{ ...base, caps: [ 1 ] },
			{ ...base, email: 'x'.repeat( 201 ) },
			{ ...base, body_sha256: 'F'.repeat( 64 ) },
			{ ...base, iat: 1.5 },
			{ ...base, jti: 'a'.repeat( 65 ) },
			{ ...base, method: undefined },
		];
		let answered = 0;
		for ( const payload of cases ) {
			const fast = plainClaims( payload );
			const schema = IdentityClaimsSchema.safeParse( payload );
			if ( fast ) {
				answered++;
				expect( schema.success ).toBe( true );
				expect( fast ).toStrictEqual( schema.data );
			}
		}
		expect( answered ).toBe( 5 );
		expect( plainClaims( { ...base, sub: '7' } ) ).toBeNull();
	} );
} );

describe( 'replay guard', () => {
	it( 'forgets expired jtis as time passes (memory follows the request rate, not the uptime)', async () => {
		const { createReplayGuard } = await import( '../src/plugins/app/identity' );
		let now = 1_000_000_000_000;
		const guard = createReplayGuard( () => new Date( now ), 200_000, 5 );
		for ( let second = 0; second < 200; second++ ) {
			for ( let i = 0; i < 50; i++ ) {
				expect( guard.firstUse( `${ second }-${ i }`.padEnd( 32, 'x' ), now / 1000 + 30 ) ).toBe( true );
			}
			now += 1000;
		}
		// 50 a second, each kept 30 s + 5 s of tolerance: about 36 seconds' worth, not 200.
		expect( guard.size ).toBeLessThanOrEqual( 50 * 37 );
		expect( guard.size ).toBeGreaterThanOrEqual( 50 * 35 );
		expect( guard.firstUse( '199-0'.padEnd( 32, 'x' ), now / 1000 + 29 ) ).toBe( false );
	} );

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

/**
 * Compact HS256 JSON Web Tokens with node:crypto directly: the identity check (every forwarded
 * request) and the Jitsi room token (every join) are the hot path of `pnpm bench`. A prepared
 * key, a fixed header and no option handling make them cheaper than a general JWT library.
 *
 * Only HS256 exists here: the algorithm is never chosen from the token.
 */
import { createHmac, createSecretKey } from 'node:crypto';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The header both sides write (the plugin's Jwt::encode and this signer), byte for byte. */
const HS256_HEADER = Buffer.from( '{"alg":"HS256","typ":"JWT"}' ).toString( 'base64url' );

export type Hs256Failure = 'malformed' | 'algorithm' | 'signature';

export class Hs256Error extends Error {
	override name = 'Hs256Error';
	constructor( readonly reason: Hs256Failure ) {
		super( `The token was rejected (${ reason }).` );
	}
}

/**
 * Whether `text` from `start` to its end equals `expected`, looking at every character whatever
 * differs (no early exit), so the time says nothing about how much of a signature was right.
 */
function sameText( text: string, start: number, expected: string ): boolean {
	if ( text.length - start !== expected.length ) {
		return false;
	}
	let diff = 0;
	for ( let i = 0; i < expected.length; i++ ) {
		diff |= text.charCodeAt( start + i ) ^ expected.charCodeAt( i );
	}
	return diff === 0;
}

/** Signs claims (the caller sets every time claim) as a compact HS256 JWT. */
export function createHs256Signer( secret: string ): ( claims: object ) => string {
	const key = createSecretKey( Buffer.from( secret, 'utf8' ) );
	return ( claims ) => {
		const input = `${ HS256_HEADER }.${ Buffer.from( JSON.stringify( claims ) ).toString( 'base64url' ) }`;
		return `${ input }.${ createHmac( 'sha256', key ).update( input ).digest( 'base64url' ) }`;
	};
}

/**
 * Checks format, algorithm and signature (in constant time) and returns the payload object.
 * Times, audience and replay are the caller's checks.
 *
 * @throws Hs256Error with the reason.
 */
export function createHs256Verifier( secret: string ): ( token: string ) => Record< string, unknown > {
	const key = createSecretKey( Buffer.from( secret, 'utf8' ) );
	// Header segments already found to say HS256. WordPress always sends the same one; other
	// spellings are decoded once each (at most a handful are remembered).
	const knownHeaders = new Set< string >( [ HS256_HEADER ] );

	const checkHeader = ( segment: string ) => {
		if ( knownHeaders.has( segment ) ) {
			return;
		}
		let header: unknown;
		try {
			header = BASE64URL.test( segment ) ? JSON.parse( Buffer.from( segment, 'base64url' ).toString( 'utf8' ) ) : null;
		} catch {
			header = null;
		}
		if ( ! header || typeof header !== 'object' || Array.isArray( header ) ) {
			throw new Hs256Error( 'malformed' );
		}
		if ( ( header as { alg?: unknown } ).alg !== 'HS256' ) {
			throw new Hs256Error( 'algorithm' );
		}
		if ( knownHeaders.size < 8 ) {
			knownHeaders.add( segment );
		}
	};

	return ( token ) => {
		const first = token.indexOf( '.' );
		const last = token.lastIndexOf( '.' );
		if ( first <= 0 || token.indexOf( '.', first + 1 ) !== last ) {
			throw new Hs256Error( 'malformed' );
		}
		checkHeader( token.slice( 0, first ) );
		// Compared as text (base64url of 32 bytes has one spelling: ours), in constant time.
		const expected = createHmac( 'sha256', key ).update( token.slice( 0, last ) ).digest( 'base64url' );
		if ( ! sameText( token, last + 1, expected ) ) {
			throw new Hs256Error( 'signature' );
		}
		// Signed text from here on: the signer wrote this exact segment, so no leniency to guard.
		let payload: unknown;
		try {
			payload = JSON.parse( Buffer.from( token.slice( first + 1, last ), 'base64url' ).toString( 'utf8' ) );
		} catch {
			payload = null;
		}
		if ( ! payload || typeof payload !== 'object' || Array.isArray( payload ) ) {
			throw new Hs256Error( 'malformed' );
		}
		return payload as Record< string, unknown >;
	};
}

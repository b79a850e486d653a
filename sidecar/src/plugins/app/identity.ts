/**
 * Verifies `X-BKX-Identity` (docs/architecture.md §2) and decorates `request.identity`.
 *
 * Rejects with 401 (`unauthenticated` without a token, `identity_rejected` otherwise): a bad signature or algorithm, an expired token or
 * one that lives longer than 60 s, a method/path/body hash that differs from the request, and a
 * replayed `jti`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

import { IDENTITY_HEADER, IDENTITY_MAX_TTL_SECONDS, IdentityClaimsSchema, type IdentityClaims } from '@bkx-video/contracts';

import { sha256Hex } from '../../crypto';
import { AppError } from '../../errors';
import { Hs256Error, createHs256Verifier } from '../../hs256';

declare module 'fastify' {
	interface FastifyRequest {
		identity: IdentityClaims;
		rawBody: Buffer | undefined;
	}
	interface FastifyInstance {
		/** preHandler hook: verifies the identity or fails the request with 401. */
		verifyIdentity: ( request: FastifyRequest, reply: unknown, done: ( error?: Error ) => void ) => void;
	}
}

const EMPTY_SHA256 = sha256Hex( '' );
/** Allowed clock difference between WordPress and the sidecar. */
const CLOCK_TOLERANCE_SECONDS = 5;

const CLAIM_KEYS = [ 'sub', 'roles', 'caps', 'email', 'name', 'method', 'path', 'body_sha256', 'iat', 'exp', 'jti' ] as const;
// The hand check below mirrors IdentityClaimsSchema; should the schema gain or lose a claim, it
// steps aside and the schema decides alone (test/identity.test.ts compares the two).
const PLAIN_CHECK_MATCHES_SCHEMA =
	Object.keys( IdentityClaimsSchema.shape ).sort().join() === [ ...CLAIM_KEYS ].sort().join();
const SHA256_HEX = /^[0-9a-f]{64}$/;

const isStringList = ( v: unknown ): v is string[] =>
	Array.isArray( v ) && v.length <= 20 && v.every( ( item ) => typeof item === 'string' );
const isOptionalText = ( v: unknown ) => v === undefined || v === null || ( typeof v === 'string' && v.length <= 200 );

/**
 * The claims of a well-formed payload, checked by hand (the schema costs more than the rest of
 * the identity check together on this hot path); null sends anything unusual to the schema, whose
 * answer stands. Accepts a subset of what the schema accepts and returns the same object.
 */
export function plainClaims( p: Record< string, unknown > ): IdentityClaims | null {
	const { sub, roles, caps, email, name, method, path, body_sha256: bodyHash, iat, exp, jti } = p;
	if (
		! PLAIN_CHECK_MATCHES_SCHEMA ||
		typeof sub !== 'number' ||
		! Number.isSafeInteger( sub ) ||
		sub < 0 ||
		! isStringList( roles ) ||
		! isStringList( caps ) ||
		! isOptionalText( email ) ||
		! isOptionalText( name ) ||
		typeof method !== 'string' ||
		typeof path !== 'string' ||
		typeof bodyHash !== 'string' ||
		( bodyHash !== EMPTY_SHA256 && ! SHA256_HEX.test( bodyHash ) ) ||
		! Number.isSafeInteger( iat ) ||
		! Number.isSafeInteger( exp ) ||
		typeof jti !== 'string' ||
		jti.length < 16 ||
		jti.length > 64
	) {
		return null;
	}
	const claims: IdentityClaims = { sub, roles, caps, method, path, body_sha256: bodyHash, iat: iat as number, exp: exp as number, jti };
	// Optional claims: present in the result exactly when present in the payload, as with the schema.
	if ( 'email' in p ) {
		claims.email = email as string | null | undefined;
	}
	if ( 'name' in p ) {
		claims.name = name as string | null | undefined;
	}
	return claims;
}

/**
 * Remembers jtis until their token expires. Per instance; see docs/operations.md for several.
 *
 * Entries are swept oldest first, stopping at the first one still live: a token is accepted only
 * with `exp` at most 60 s (plus the tolerance) ahead, so an expired entry waits behind a live one
 * for about a minute at most and memory stays bounded by the request rate. A sweep costs what it
 * removes, not the size of the map.
 */
export function createReplayGuard( clock: () => Date, maxEntries = 200_000, toleranceSeconds = 0 ) {
	const seen = new Map< string, number >();
	let lastSweep = 0;
	return {
		/** True the first time a jti is seen before `exp`. */
		firstUse( jti: string, exp: number, now = clock().getTime() / 1000 ): boolean {
			if ( now - lastSweep >= 1 || seen.size > maxEntries ) {
				for ( const [ k, e ] of seen ) {
					// Kept while the token could still be accepted (expiry plus clock tolerance).
					if ( e + toleranceSeconds >= now ) {
						break;
					}
					seen.delete( k );
				}
				lastSweep = now;
			}
			if ( seen.has( jti ) ) {
				return false;
			}
			seen.set( jti, exp );
			return true;
		},
		/** How many jtis are remembered (tests, diagnostics). */
		get size(): number {
			return seen.size;
		},
	};
}

export default fp(
	async ( app: FastifyInstance, opts: { secret: string; clock: () => Date } ) => {
		// Signature and algorithm with node:crypto, synchronously (src/hs256.ts); times are checked
		// below against the injectable clock.
		const verifyToken = createHs256Verifier( opts.secret );
		const replay = createReplayGuard( opts.clock, 200_000, CLOCK_TOLERANCE_SECONDS );
		// A request PHP signed that fails here means the two sides disagree (secret, clock): say so.
		const fail = ( reason: string ) =>
			new AppError( reason === 'identity_missing' ? 'unauthenticated' : 'identity_rejected', { data: { reason } } );

		app.decorateRequest( 'identity', null as unknown as IdentityClaims );

		/** The checks, synchronous (no promise on this hot path). */
		const verify = ( request: FastifyRequest ): IdentityClaims => {
			const header = request.headers[ IDENTITY_HEADER ];
			if ( typeof header !== 'string' || ! header ) {
				throw fail( 'identity_missing' );
			}
			let payload: Record< string, unknown >;
			try {
				payload = verifyToken( header );
			} catch ( error ) {
				request.log.info( { reason: error instanceof Hs256Error ? error.reason : 'error' }, 'identity rejected' );
				throw fail( 'identity_invalid' );
			}
			let claims = plainClaims( payload );
			if ( ! claims ) {
				const parsed = IdentityClaimsSchema.safeParse( payload );
				if ( ! parsed.success ) {
					throw fail( 'identity_malformed' );
				}
				claims = parsed.data;
			}
			const now = opts.clock().getTime() / 1000;
			if ( claims.exp < now - CLOCK_TOLERANCE_SECONDS || claims.iat > now + CLOCK_TOLERANCE_SECONDS ) {
				throw fail( 'identity_expired' );
			}
			if ( claims.exp - claims.iat > IDENTITY_MAX_TTL_SECONDS ) {
				throw fail( 'identity_too_long' );
			}
			if ( claims.method.toUpperCase() !== request.method || claims.path !== request.url ) {
				throw fail( 'identity_request_mismatch' );
			}
			const bodyHash = request.rawBody?.length ? sha256Hex( request.rawBody ) : EMPTY_SHA256;
			if ( bodyHash !== claims.body_sha256 ) {
				throw fail( 'identity_body_mismatch' );
			}
			if ( ! replay.firstUse( claims.jti, claims.exp, now ) ) {
				throw fail( 'identity_replayed' );
			}
			return claims;
		};

		app.decorate( 'verifyIdentity', ( request: FastifyRequest, _reply: unknown, done: ( error?: Error ) => void ) => {
			try {
				request.identity = verify( request );
			} catch ( error ) {
				done( error as Error );
				return;
			}
			done();
		} );
	},
	{ name: 'identity' }
);

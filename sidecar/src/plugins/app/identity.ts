/**
 * Verifies `X-BKX-Identity` (docs/architecture.md §2) and decorates `request.identity`.
 *
 * Rejects with 401 (`unauthenticated` without a token, `identity_rejected` otherwise): a bad signature or algorithm, an expired token or
 * one that lives longer than 60 s, a method/path/body hash that differs from the request, and a
 * replayed `jti`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createVerifier } from 'fast-jwt';

import { IDENTITY_HEADER, IDENTITY_MAX_TTL_SECONDS, IdentityClaimsSchema, type IdentityClaims } from '@bkx-video/contracts';

import { sha256Hex } from '../../crypto';
import { AppError } from '../../errors';

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

/** Remembers jtis until their token expires. Per instance; see docs/operations.md for several. */
export function createReplayGuard( clock: () => Date, maxEntries = 200_000, toleranceSeconds = 0 ) {
	const seen = new Map< string, number >();
	let lastSweep = 0;
	return {
		/** True the first time a jti is seen before `exp`. */
		firstUse( jti: string, exp: number ): boolean {
			const now = clock().getTime() / 1000;
			if ( now - lastSweep > 10 || seen.size > maxEntries ) {
				for ( const [ k, e ] of seen ) {
					// Kept while the token could still be accepted (expiry plus clock tolerance).
					if ( e + toleranceSeconds < now ) {
						seen.delete( k );
					}
				}
				lastSweep = now;
			}
			if ( seen.has( jti ) ) {
				return false;
			}
			seen.set( jti, exp );
			return true;
		},
	};
}

export default fp(
	async ( app: FastifyInstance, opts: { secret: string; clock: () => Date } ) => {
		// fast-jwt checks signature and algorithm with node:crypto (synchronous, ~10x cheaper than
		// WebCrypto on this hot path); times are checked below against the injectable clock.
		const verifyToken = createVerifier( {
			key: opts.secret,
			algorithms: [ 'HS256' ],
			ignoreExpiration: true,
			ignoreNotBefore: true,
			cache: false,
		} );
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
			let payload: unknown;
			try {
				payload = verifyToken( header );
			} catch ( error ) {
				request.log.info( { reason: ( error as { code?: string } ).code }, 'identity rejected' );
				throw fail( 'identity_invalid' );
			}
			const parsed = IdentityClaimsSchema.safeParse( payload );
			if ( ! parsed.success ) {
				throw fail( 'identity_malformed' );
			}
			const claims = parsed.data;
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
			if ( ! replay.firstUse( claims.jti, claims.exp ) ) {
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

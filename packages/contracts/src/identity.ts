/**
 * The signed identity the plugin sends with every forwarded request (BRIEF §3.2).
 *
 * `X-BKX-Identity: <HS256 JWT>` signed with `BKX_VIDEO_SIDECAR_SECRET`. PHP only states who the
 * WordPress user is; the sidecar's policy module decides what they may do.
 */
import { z } from 'zod';

export const IDENTITY_HEADER = 'x-bkx-identity';
/** Header carrying the sidecar's signature on requests it makes to WordPress (mail relay). */
export const SIDECAR_SIGNATURE_HEADER = 'x-bkx-signature';
/** Identity tokens may live at most this long. */
export const IDENTITY_MAX_TTL_SECONDS = 60;

/** The WordPress capabilities the policy module reads. Everything else is dropped by PHP. */
export const CapabilitySchema = z.enum( [
	'manage_options',
	'bkx_video_manage',
	'bkx_video_conduct',
	'bkx_video_system',
] );
export type Capability = z.infer< typeof CapabilitySchema >;

export const IdentityClaimsSchema = z.object( {
	/** WordPress user id; 0 for a guest (who may still hold a booking access token). */
	sub: z.coerce.number().int().min( 0 ),
	roles: z.array( z.string() ).max( 20 ),
	caps: z.array( z.string() ).max( 20 ),
	email: z.string().max( 200 ).nullable().optional(),
	name: z.string().max( 200 ).nullable().optional(),
	/** Upper-case HTTP method the proxy forwarded. */
	method: z.string(),
	/** Sidecar path including the query string, exactly as forwarded (e.g. `/v1/settings?x=1`). */
	path: z.string(),
	/** Hex SHA-256 of the raw body bytes ('' body → hash of the empty string). */
	body_sha256: z.string().regex( /^[0-9a-f]{64}$/ ),
	iat: z.number().int(),
	exp: z.number().int(),
	jti: z.string().min( 16 ).max( 64 ),
} );
export type IdentityClaims = z.infer< typeof IdentityClaimsSchema >;

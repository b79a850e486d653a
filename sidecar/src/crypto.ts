/**
 * AES-256-GCM for secrets at rest (settings secrets, OAuth tokens). Format:
 * `v1:<iv b64>:<tag b64>:<ciphertext b64>`. Only repositories call {@link decryptSecret}.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'v1';

export function encryptSecret( key: Buffer, plain: string ): string {
	const iv = randomBytes( 12 );
	const cipher = createCipheriv( 'aes-256-gcm', key, iv );
	const ct = Buffer.concat( [ cipher.update( plain, 'utf8' ), cipher.final() ] );
	return [ PREFIX, iv.toString( 'base64' ), cipher.getAuthTag().toString( 'base64' ), ct.toString( 'base64' ) ].join( ':' );
}

/** @throws Error when the value was not encrypted with this key (wrong key or tampered). */
export function decryptSecret( key: Buffer, sealed: string ): string {
	const [ version, iv, tag, ct ] = sealed.split( ':' );
	if ( version !== PREFIX || ! iv || ! tag || ct === undefined ) {
		throw new Error( 'Not an encrypted value' );
	}
	const decipher = createDecipheriv( 'aes-256-gcm', key, Buffer.from( iv, 'base64' ) );
	decipher.setAuthTag( Buffer.from( tag, 'base64' ) );
	return Buffer.concat( [ decipher.update( Buffer.from( ct, 'base64' ) ), decipher.final() ] ).toString( 'utf8' );
}

export function sha256Hex( data: string | Buffer ): string {
	return createHash( 'sha256' ).update( data ).digest( 'hex' );
}

/** The customer access token of a consultation (docs/architecture.md §3): re-derivable, stored hashed. */
export function deriveAccessToken( secret: string, consultationId: number, version: number ): string {
	return createHmac( 'sha256', secret ).update( `access:${ consultationId }:${ version }` ).digest( 'base64url' );
}

/** A meeting password of `length` characters without look-alikes (0/O, 1/l/I). */
export function generatePassword( length: number ): string {
	const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
	const bytes = randomBytes( length );
	let out = '';
	for ( let i = 0; i < length; i++ ) {
		out += alphabet[ ( bytes[ i ] ?? 0 ) % alphabet.length ];
	}
	return out;
}

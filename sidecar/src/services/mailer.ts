/**
 * Sends mail through the plugin's `wp_mail` relay (BRIEF §3.6, docs/architecture.md §6), so the
 * site's SMTP plugin applies. The request is signed; the idempotency key stops double sends.
 */
import { randomBytes } from 'node:crypto';

import { request } from 'undici';

import { SIDECAR_SIGNATURE_HEADER } from '@bkx-video/contracts';

import { sha256Hex } from '../crypto';
import { createHs256Signer } from '../hs256';

export interface MailMessage {
	to: string[];
	subject: string;
	html: string;
	text: string;
	attachments?: Array< { filename: string; content_type: string; content_base64: string } >;
	idempotency_key: string;
}

/**
 * Signed POSTs to the plugin's internal routes (mail relay, health notice): an HS256 JWT over the
 * body hash, 60 s, single-use jti, verified by PHP against its own clock.
 *
 * A burst of bookings sends an invitation each: the prepared-key signer (src/hs256.ts) and
 * undici's request (as for vendor calls) cost a fraction of a JWT library's WebCrypto key import
 * and of fetch's streams per mail.
 */
export function createWpRelay( opts: { secret: string; clock: () => Date; timeoutMs?: number } ) {
	const sign = createHs256Signer( opts.secret );
	const timeoutMs = opts.timeoutMs ?? 15000;
	return {
		/** @throws Error when WordPress cannot be reached (the job retries). */
		async post( url: string, body: string ): Promise< { status: number; ok: boolean; text: string } > {
			const now = Math.floor( opts.clock().getTime() / 1000 );
			const signature = sign( {
				body_sha256: sha256Hex( body ),
				iss: 'bkx-video-sidecar',
				aud: 'wordpress',
				iat: now,
				exp: now + 60,
				jti: randomBytes( 16 ).toString( 'hex' ),
			} );
			const res = await request( url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', [ SIDECAR_SIGNATURE_HEADER ]: signature },
				body,
				headersTimeout: timeoutMs,
				bodyTimeout: timeoutMs,
				// As fetch did: a site that moved (http → https) still gets its mail.
				maxRedirections: 20,
			} );
			return { status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300, text: await res.body.text() };
		},
	};
}

export type WpRelay = ReturnType< typeof createWpRelay >;

export function createMailer( opts: { relayUrl: string; secret: string; clock: () => Date; timeoutMs?: number } ) {
	const relay = createWpRelay( opts );
	return {
		/** @throws Error when WordPress does not confirm the send (the job retries). */
		async send( message: MailMessage ): Promise< { duplicate: boolean } > {
			const res = await relay.post( opts.relayUrl, JSON.stringify( message ) );
			const text = res.text;
			if ( ! res.ok ) {
				throw new Error( `Mail relay answered ${ res.status }: ${ text.slice( 0, 300 ) }` );
			}
			let json: { sent?: boolean; duplicate?: boolean } = {};
			try {
				json = JSON.parse( text ) as typeof json;
			} catch {
				throw new Error( `Mail relay answered non-JSON: ${ text.slice( 0, 300 ) }` );
			}
			if ( ! json.sent ) {
				throw new Error( 'Mail relay did not send the message' );
			}
			return { duplicate: Boolean( json.duplicate ) };
		},
	};
}

export type Mailer = ReturnType< typeof createMailer >;

/**
 * Sends mail through the plugin's `wp_mail` relay (BRIEF §3.6, docs/architecture.md §6), so the
 * site's SMTP plugin applies. The request is signed; the idempotency key stops double sends.
 */
import { randomBytes } from 'node:crypto';

import { SignJWT } from 'jose';

import { SIDECAR_SIGNATURE_HEADER } from '@bkx-video/contracts';

import { sha256Hex } from '../crypto';

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
 */
export function createWpRelay( opts: { secret: string; clock: () => Date; timeoutMs?: number } ) {
	const key = new TextEncoder().encode( opts.secret );
	return {
		/** @throws Error when WordPress cannot be reached (the job retries). */
		async post( url: string, body: string ): Promise< { status: number; ok: boolean; text: string } > {
			const now = Math.floor( opts.clock().getTime() / 1000 );
			const signature = await new SignJWT( { body_sha256: sha256Hex( body ) } )
				.setProtectedHeader( { alg: 'HS256', typ: 'JWT' } )
				.setIssuer( 'bkx-video-sidecar' )
				.setAudience( 'wordpress' )
				.setIssuedAt( now )
				.setExpirationTime( now + 60 )
				.setJti( randomBytes( 16 ).toString( 'hex' ) )
				.sign( key );
			const res = await fetch( url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', [ SIDECAR_SIGNATURE_HEADER ]: signature },
				body,
				signal: AbortSignal.timeout( opts.timeoutMs ?? 15000 ),
			} );
			return { status: res.status, ok: res.ok, text: await res.text() };
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

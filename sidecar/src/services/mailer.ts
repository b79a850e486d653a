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

export function createMailer( opts: { relayUrl: string; secret: string; clock: () => Date; timeoutMs?: number } ) {
	const key = new TextEncoder().encode( opts.secret );
	return {
		/** @throws Error when WordPress does not confirm the send (the job retries). */
		async send( message: MailMessage ): Promise< { duplicate: boolean } > {
			const body = JSON.stringify( message );
			const now = Math.floor( opts.clock().getTime() / 1000 );
			const signature = await new SignJWT( { body_sha256: sha256Hex( body ) } )
				.setProtectedHeader( { alg: 'HS256', typ: 'JWT' } )
				.setIssuer( 'bkx-video-sidecar' )
				.setAudience( 'wordpress' )
				.setIssuedAt( now )
				.setExpirationTime( now + 60 )
				.setJti( randomBytes( 16 ).toString( 'hex' ) )
				.sign( key );
			const res = await fetch( opts.relayUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/json', [ SIDECAR_SIGNATURE_HEADER ]: signature },
				body,
				signal: AbortSignal.timeout( opts.timeoutMs ?? 15000 ),
			} );
			const text = await res.text();
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

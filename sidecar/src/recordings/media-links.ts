/**
 * Short-lived signed links to a recording's bytes, served by the sidecar itself
 * (`GET /media/recordings/{id}/{kind}?exp=…&dl=…&sig=…`): the REST call that hands one out has
 * checked who may see the recording; the link then works on its own for a few minutes, in a
 * `<video>` element (which makes many Range requests) or as a download, and never passes through
 * PHP. The signature covers the recording, the kind, the download flag and the expiry.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import type { RecordingFileKind } from '@bkx-video/contracts';

/** How long a link works: long enough to watch a consultation with pauses, short enough to be useless when shared later. */
export const MEDIA_LINK_TTL_SECONDS = 2 * 3600;
/** Downloads start at once: their link lives briefly. */
export const DOWNLOAD_LINK_TTL_SECONDS = 5 * 60;

export interface MediaLinkClaims {
	recordingId: number;
	kind: RecordingFileKind;
	download: boolean;
	/** Unix seconds. */
	exp: number;
}

export function createMediaLinks( secret: string, baseUrl: string ) {
	const key = createHmac( 'sha256', secret ).update( 'bkx-video-media-links' ).digest();
	const base = baseUrl.replace( /\/+$/, '' );
	const sign = ( c: MediaLinkClaims ) => createHmac( 'sha256', key ).update( `${ c.recordingId }.${ c.kind }.${ c.download ? 1 : 0 }.${ c.exp }` ).digest( 'base64url' );

	return {
		/** The link, valid until `exp`. */
		url( c: MediaLinkClaims ): string {
			const query = new URLSearchParams( { exp: String( c.exp ), ...( c.download ? { dl: '1' } : {} ), sig: sign( c ) } );
			return `${ base }/media/recordings/${ c.recordingId }/${ c.kind }?${ query }`;
		},
		/** Whether the link's signature is ours and it has not expired. */
		verify( c: MediaLinkClaims, signature: string, now: Date ): 'ok' | 'expired' | 'invalid' {
			const expected = Buffer.from( sign( c ) );
			const given = Buffer.from( signature );
			if ( given.length !== expected.length || ! timingSafeEqual( given, expected ) ) {
				return 'invalid';
			}
			return c.exp * 1000 < now.getTime() ? 'expired' : 'ok';
		},
	};
}

export type MediaLinks = ReturnType< typeof createMediaLinks >;

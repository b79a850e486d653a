/**
 * Resumable download of a platform's file (a Zoom cloud recording, reference §1.5) to disk.
 *
 * The bytes go straight from the socket to `<dest>`, never into memory. What is already on disk
 * is kept: the next attempt asks for the rest with `Range: bytes=N-` (a server that ignores it
 * answers 200 and the file starts over). Redirects to storage are followed by hand so the bearer
 * token never goes to another host. The caller checks the final size.
 */
import { open, stat } from 'node:fs/promises';

import { request, type Dispatcher } from 'undici';

import { PlatformError } from '../video-platform';
import { codeForStatus } from './http';

export interface DownloadResult {
	/** Bytes of `dest` now. */
	size: number;
	/** Bytes fetched by this call (the rest was on disk from an earlier attempt). */
	fetched: number;
}

/**
 * @param o.token bearer token (Zoom: the webhook's `download_token` or an OAuth token).
 * @param o.onProgress called with the bytes on disk as they grow (at most every 256 KiB).
 * @throws PlatformError `unauthorized` (401/403: the token expired), `not_found`, `unavailable`
 *   (no answer, or the connection dropped: what arrived is kept for the next attempt).
 */
export async function downloadToFile(
	url: string,
	dest: string,
	o: { token: string; timeoutMs: number; onProgress?: ( bytes: number ) => void }
): Promise< DownloadResult > {
	const have = await stat( dest ).then( ( s ) => s.size, () => 0 );
	let target = new URL( url );
	const origin = target.origin;
	for ( let hop = 0; hop < 5; hop++ ) {
		const headers: Record< string, string > = have > 0 ? { range: `bytes=${ have }-` } : {};
		if ( target.origin === origin ) {
			headers.authorization = `Bearer ${ o.token }`;
		}
		let res: Dispatcher.ResponseData;
		try {
			// headersTimeout bounds the wait for an answer; bodyTimeout a stall in the middle of the body.
			res = await request( target, { method: 'GET', headers, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs } );
		} catch ( error ) {
			throw new PlatformError( 'unavailable', `No answer from ${ target.host } for the recording: ${ ( error as { code?: string } ).code ?? String( error ) }`, { cause: error, transport: true } );
		}
		if ( res.statusCode >= 300 && res.statusCode < 400 && res.headers.location ) {
			await res.body.dump();
			target = new URL( String( res.headers.location ), target );
			continue;
		}
		if ( res.statusCode === 416 && have > 0 ) {
			// Everything is here already (an earlier attempt got the last byte but not the check).
			await res.body.dump();
			return { size: have, fetched: 0 };
		}
		if ( res.statusCode !== 200 && res.statusCode !== 206 ) {
			const text = await res.body.text().catch( () => '' );
			const code = res.statusCode === 403 ? 'unauthorized' : codeForStatus( res.statusCode );
			throw new PlatformError( code, `The recording download was refused (HTTP ${ res.statusCode }): ${ text.slice( 0, 200 ) }`, { status: res.statusCode } );
		}
		// 206 continues where we stopped; 200 is the whole file again. Each piece is on disk before
		// the next is read, so when the connection breaks everything received is kept for the retry.
		const resume = res.statusCode === 206 && have > 0;
		let size = resume ? have : 0;
		let reported = size;
		const file = await open( dest, resume ? 'a' : 'w' );
		try {
			for await ( const chunk of res.body as AsyncIterable< Buffer > ) {
				await file.write( chunk );
				size += chunk.length;
				if ( o.onProgress && size - reported >= 256 * 1024 ) {
					reported = size;
					o.onProgress( size );
				}
			}
		} catch ( error ) {
			throw new PlatformError( 'unavailable', `The recording download broke off after ${ size } bytes; it resumes from there.`, { cause: error, transport: true } );
		} finally {
			await file.close();
		}
		return { size, fetched: size - ( resume ? have : 0 ) };
	}
	throw new PlatformError( 'unavailable', 'The recording download was redirected too many times.' );
}

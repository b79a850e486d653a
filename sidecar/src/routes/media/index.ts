/**
 * `GET /media/recordings/{id}/{kind}`: a recording's bytes through a signed link (no identity: the
 * REST call that made the link checked it). Served by the sidecar with HTTP Range, decrypted as it
 * is read; a video never streams through PHP. This is the one route browsers reach directly
 * (BKX_VIDEO_SIDECAR_PUBLIC_URL).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { RecordingFileKindSchema } from '@bkx-video/contracts';

import { AppError } from '../../errors';
import { parse } from '../validate';

const ParamsSchema = z.object( { id: z.coerce.number().int().positive(), kind: RecordingFileKindSchema } );
const QuerySchema = z.object( { exp: z.coerce.number().int().positive(), dl: z.literal( '1' ).optional(), sig: z.string().regex( /^[A-Za-z0-9_-]{43}$/ ) } );

const TYPES = { poster: 'image/jpeg', transcript: 'text/vtt; charset=utf-8' } as const;

/** One `bytes=` range of a file of `size` bytes; null when absent, 'unsatisfiable' when it cannot be served. */
export function parseRange( header: string | undefined, size: number ): { start: number; end: number } | null | 'unsatisfiable' {
	if ( ! header ) {
		return null;
	}
	const m = /^bytes=(\d*)-(\d*)$/.exec( header.trim() );
	if ( ! m || ( m[ 1 ] === '' && m[ 2 ] === '' ) ) {
		// Several ranges, or another unit: answer the whole file (allowed by RFC 9110).
		return null;
	}
	let start: number;
	let end: number;
	if ( m[ 1 ] === '' ) {
		// The last N bytes.
		start = Math.max( 0, size - Number( m[ 2 ] ) );
		end = size - 1;
	} else {
		start = Number( m[ 1 ] );
		end = m[ 2 ] === '' ? size - 1 : Math.min( Number( m[ 2 ] ), size - 1 );
	}
	if ( start >= size || end < start ) {
		return 'unsatisfiable';
	}
	return { start, end };
}

export default async function mediaRoutes( app: FastifyInstance ) {
	app.get( '/recordings/:id/:kind', async ( request, reply ) => {
		const { id, kind } = parse( ParamsSchema, request.params );
		const query = parse( QuerySchema, request.query );
		const verdict = app.services.mediaLinks.verify( { recordingId: id, kind, download: query.dl === '1', exp: query.exp }, query.sig, new Date() );
		if ( verdict !== 'ok' ) {
			throw new AppError( 'forbidden', {
				message: verdict === 'expired' ? 'This link has expired. Reload the page to get a new one.' : 'This link is not valid.',
			} );
		}
		const file = await app.services.recordings.openFile( id, kind );
		if ( ! file ) {
			throw new AppError( 'not_found', { message: 'This recording does not exist or was deleted.' } );
		}
		const range = parseRange( request.headers.range, file.size );
		reply.header( 'accept-ranges', 'bytes' );
		reply.header( 'cache-control', 'private, no-store' );
		reply.header( 'x-content-type-options', 'nosniff' );
		reply.header( 'content-type', kind === 'video' ? file.mimeType : TYPES[ kind ] );
		if ( query.dl === '1' ) {
			const ext = kind === 'video' ? ( file.mimeType.startsWith( 'audio' ) ? 'm4a' : 'mp4' ) : kind === 'poster' ? 'jpg' : 'vtt';
			reply.header( 'content-disposition', `attachment; filename="consultation-${ file.consultationId }-recording-${ id }.${ ext }"` );
		}
		if ( range === 'unsatisfiable' ) {
			reply.header( 'content-range', `bytes */${ file.size }` );
			return reply.status( 416 ).send();
		}
		const { start, end } = range ?? { start: 0, end: file.size - 1 };
		const stream = await file.read( range ? { start, end } : undefined );
		stream.on( 'error', ( error ) => request.log.error( { err: error, recordingId: id, kind }, 'a stored recording file could not be read' ) );
		reply.header( 'content-length', String( Math.max( 0, end - start + 1 ) ) );
		if ( range ) {
			reply.header( 'content-range', `bytes ${ start }-${ end }/${ file.size }` );
			reply.status( 206 );
		}
		return reply.send( stream );
	} );
}

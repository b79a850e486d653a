/**
 * Files shared in the built-in room, reached by browsers directly at the sidecar (like signaling):
 * - `POST /rooms/{room}/files`: the raw bytes, `Content-Type` (ignored: the type is read from the
 *   content), `X-File-Name` (percent-encoded UTF-8) and `Authorization: Bearer <room token>`;
 *   201 {@link RoomFile}, and the room gets `file-shared`.
 * - `POST /rooms/{room}/files/{id}/link` (same bearer): a signed download link, a few minutes long.
 * - `GET /rooms/{room}/files/{id}?exp=…&sig=…`: the bytes, decrypted as they are read, as an attachment.
 * Cross-origin: only the site's own origin gets CORS headers (any other Origin is refused), as the
 * signaling socket checks it. Who may do what is in rooms/room-files.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import type { RoomFile, RoomFileLink } from '@bkx-video/contracts';

import { AppError } from '../../errors';
import { tooLarge, type RoomActor } from '../../rooms/room-files';
import { parse } from '../validate';

/** The largest `max_upload_size` setting (512 MB): the parser's own ceiling; the setting is checked first. */
const PARSER_LIMIT = 512 * 1024 * 1024 + 1;

const RoomParamsSchema = z.object( { room: z.string().regex( /^r_[a-z0-9]{20}$/, 'is not a room id' ) } );
const FileParamsSchema = RoomParamsSchema.extend( { id: z.coerce.number().int().positive() } );
const LinkQuerySchema = z.object( { exp: z.coerce.number().int().positive(), sig: z.string().regex( /^[A-Za-z0-9_-]{43}$/ ) } );

/** The uploaded name from `X-File-Name` (percent-encoded so any script survives an HTTP header). */
function fileName( header: string | string[] | undefined ): string {
	const raw = Array.isArray( header ) ? header[ 0 ] ?? '' : header ?? '';
	try {
		return decodeURIComponent( raw );
	} catch {
		return raw;
	}
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 one (RFC 6266 / 8187). */
function disposition( name: string ): string {
	const ascii = name.replace( /[^\x20-\x7e]/g, '_' ).replace( /["\\]/g, '_' );
	const exact = encodeURIComponent( name ).replace( /['()*]/g, ( c ) => `%${ c.charCodeAt( 0 ).toString( 16 ).toUpperCase() }` );
	return `attachment; filename="${ ascii }"; filename*=UTF-8''${ exact }`;
}

export default async function roomFileRoutes( app: FastifyInstance ) {
	const siteOrigin = new URL( app.config.siteUrl ).origin;
	const files = () => app.services.roomFiles;
	const uploads = new WeakMap< FastifyRequest, { actor: RoomActor; maxBytes: number } >();

	// Uploads are bytes, whatever they claim to be (a `.json` must not be parsed, only refused by type).
	app.removeAllContentTypeParsers();
	app.addContentTypeParser( '*', { parseAs: 'buffer', bodyLimit: PARSER_LIMIT }, ( _request, body, done ) => done( null, body ) );

	app.addHook( 'onRequest', async ( request, reply ) => {
		const origin = request.headers.origin;
		if ( origin === undefined ) {
			// A download link opened by the browser itself (no Origin); the signature decides.
			return;
		}
		if ( origin !== siteOrigin ) {
			throw new AppError( 'forbidden', { message: 'Files of this room open only on the site that booked it.' } );
		}
		reply.header( 'access-control-allow-origin', origin );
		reply.header( 'vary', 'Origin' );
	} );

	const preflight = async ( _request: FastifyRequest, reply: FastifyReply ) =>
		reply
			.status( 204 )
			.header( 'access-control-allow-methods', 'POST, GET' )
			.header( 'access-control-allow-headers', 'authorization, content-type, x-file-name' )
			.header( 'access-control-max-age', '600' )
			.send();
	app.options( '/:room/files', preflight );
	app.options( '/:room/files/:id/link', preflight );

	app.post(
		'/:room/files',
		{
			// Before a byte of the body is read: who uploads, and whether the announced size fits.
			preParsing: async ( request ) => {
				const { room } = parse( RoomParamsSchema, request.params );
				const actor = files().actor( request.headers.authorization, room );
				const maxBytes = await files().maxBytes();
				const announced = Number( request.headers[ 'content-length' ] );
				if ( Number.isFinite( announced ) && announced > maxBytes ) {
					throw tooLarge( maxBytes );
				}
				uploads.set( request, { actor, maxBytes } );
			},
		},
		async ( request, reply ) => {
			const upload = uploads.get( request );
			if ( ! upload ) {
				throw new AppError( 'internal_error' );
			}
			const body = Buffer.isBuffer( request.body ) ? request.body : Buffer.alloc( 0 );
			const file: RoomFile = await files().upload( upload.actor, fileName( request.headers[ 'x-file-name' ] ), body, upload.maxBytes );
			request.log.info( { room: upload.actor.claims.room, file: file.id, size: file.size, mime: file.mime }, 'room file shared' );
			return reply.status( 201 ).send( file );
		}
	);

	app.post( '/:room/files/:id/link', async ( request ): Promise< RoomFileLink > => {
		const { room, id } = parse( FileParamsSchema, request.params );
		return files().link( files().actor( request.headers.authorization, room ), id );
	} );

	app.get( '/:room/files/:id', async ( request, reply ) => {
		const { room, id } = parse( FileParamsSchema, request.params );
		const query = parse( LinkQuerySchema, request.query );
		const { file, stream } = await files().open( room, id, query.exp, query.sig, new Date() );
		stream.on( 'error', ( error ) => request.log.error( { err: error, file: id }, 'a stored room file could not be read' ) );
		return reply
			.header( 'content-type', file.mime.startsWith( 'text/' ) ? `${ file.mime }; charset=utf-8` : file.mime )
			.header( 'content-length', String( file.size ) )
			.header( 'content-disposition', disposition( file.name ) )
			.header( 'cache-control', 'private, no-store' )
			.header( 'x-content-type-options', 'nosniff' )
			.header( 'content-security-policy', "sandbox; default-src 'none'" )
			.header( 'access-control-expose-headers', 'content-disposition' )
			.send( stream );
	} );
}

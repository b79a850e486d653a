/**
 * `/rooms/{room}/recordings…`: the host's browser uploads the room's recording here, straight to the
 * sidecar that holds the room (same path prefix as the signaling socket, so a proxy that pins
 * `/rooms/<room>/` to one instance sends both to the hub that knows the take). The protocol is in
 * contracts/room-recording.ts; the decisions in recordings/room-uploads.ts.
 *
 * No identity header: the room token (open) or the upload token (chunks, finish) is the bearer.
 * Browsers call from the site's pages, so the site's origin gets CORS (a preflight per path, cached
 * 10 minutes); another origin is refused.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { ROOM_RECORDING_LIMITS, RoomRecordingFinishSchema, RoomRecordingOpenSchema, type RoomRecordingChunk, type RoomRecordingFinished, type RoomRecordingUpload } from '@bkx-video/contracts';

import { AppError } from '../../errors';
import { parse } from '../validate';

const RoomParams = z.object( { room: z.string().regex( /^r_[a-z0-9]{20}$/, 'is not a room id' ) } );
const UploadParams = RoomParams.extend( { id: z.coerce.number().int().positive() } );
const ChunkParams = UploadParams.extend( { n: z.coerce.number().int().min( 0 ) } );

function bearer( request: FastifyRequest ): string {
	const header = request.headers.authorization ?? '';
	const m = /^Bearer\s+(\S+)$/i.exec( header );
	if ( ! m ) {
		throw new AppError( 'unauthenticated', { message: 'The upload needs its token (Authorization: Bearer …).' } );
	}
	return m[ 1 ]!;
}

export default async function roomRecordingRoutes( app: FastifyInstance ) {
	const siteOrigin = new URL( app.config.siteUrl ).origin;
	const uploads = () => app.rooms.recordings;

	app.addHook( 'onRequest', async ( request, reply ) => {
		const origin = request.headers.origin;
		if ( origin === undefined ) {
			return;
		}
		if ( origin !== siteOrigin ) {
			throw new AppError( 'forbidden', { message: 'Recordings are uploaded only from the site that booked the consultation.' } );
		}
		reply.header( 'access-control-allow-origin', siteOrigin );
		reply.header( 'vary', 'origin' );
	} );

	const preflight = async ( _request: FastifyRequest, reply: import( 'fastify' ).FastifyReply ) =>
		reply
			.status( 204 )
			.header( 'access-control-allow-methods', 'POST, PUT' )
			.header( 'access-control-allow-headers', 'authorization, content-type' )
			.header( 'access-control-max-age', '600' )
			.send();
	app.options( '/:room/recordings', preflight );
	app.options( '/:room/recordings/*', preflight );

	app.post( '/:room/recordings', async ( request ): Promise< RoomRecordingUpload > => {
		const { room } = parse( RoomParams, request.params );
		let claims;
		try {
			claims = app.rooms.tickets.verify( bearer( request ) );
		} catch ( error ) {
			if ( error instanceof AppError ) {
				throw error;
			}
			throw new AppError( 'unauthenticated', { message: 'This room link has expired. Please reload the page.' } );
		}
		if ( claims.room !== room ) {
			throw new AppError( 'forbidden', { message: 'This token is for another room.' } );
		}
		const body = parse( RoomRecordingOpenSchema, request.body );
		return uploads().open( claims, body );
	} );

	app.put(
		'/:room/recordings/:id/chunks/:n',
		// The bytes come raw (application/octet-stream); one chunk is bounded here, before it is read whole.
		{ bodyLimit: ROOM_RECORDING_LIMITS.chunkMaxBytes },
		async ( request ): Promise< RoomRecordingChunk > => {
			const { id, n } = parse( ChunkParams, request.params );
			return uploads().chunk( bearer( request ), id, n, Buffer.isBuffer( request.body ) ? request.body : undefined );
		}
	);

	app.post( '/:room/recordings/:id/finish', async ( request ): Promise< RoomRecordingFinished > => {
		const { id } = parse( UploadParams, request.params );
		const body = parse( RoomRecordingFinishSchema, request.body );
		return uploads().finish( bearer( request ), id, body.chunks );
	} );
}

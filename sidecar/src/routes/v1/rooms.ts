/**
 * `POST /v1/rooms/{room}/ticket`: a ticket into the built-in room for the viewer (the meeting-room
 * block asks before it opens the signaling socket, and again on every reconnect).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { AccessTokenQuerySchema, type RoomTicket } from '@bkx-video/contracts';

import { parse } from '../validate';

const ParamsSchema = z.object( { room: z.string().regex( /^r_[a-z0-9]{20}$/, 'is not a room id' ) } );

export default async function roomTicketRoutes( app: FastifyInstance ) {
	app.post( '/rooms/:room/ticket', async ( request ): Promise< RoomTicket > => {
		const { room } = parse( ParamsSchema, request.params );
		const query = parse( AccessTokenQuerySchema, request.query );
		return app.rooms.tickets.issue( request.identity, room, query.bkx_vc );
	} );
}

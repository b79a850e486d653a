/**
 * `GET/PUT /v1/consultations/{id}/notes`: the provider's session notes (the room's Notes panel).
 * Only the consultation's host and admins; the decisions are in services/session-notes.ts.
 */
import type { FastifyInstance } from 'fastify';

import {
	AccessTokenQuerySchema,
	ConsultationIdParamsSchema,
	SaveSessionNotesBodySchema,
	type SessionNotes,
} from '@bkx-video/contracts';

import { parse } from '../validate';

export default async function notesRoutes( app: FastifyInstance ) {
	app.get( '/consultations/:id/notes', async ( request ): Promise< SessionNotes > => {
		const { id } = parse( ConsultationIdParamsSchema, request.params );
		const query = parse( AccessTokenQuerySchema, request.query );
		return app.services.notes.get( request.identity, id, query.bkx_vc );
	} );

	app.put( '/consultations/:id/notes', async ( request ): Promise< SessionNotes > => {
		const { id } = parse( ConsultationIdParamsSchema, request.params );
		const query = parse( AccessTokenQuerySchema, request.query );
		// The length limit is the service's (413 with a clear message), not a 400 from the schema.
		const body = parse( SaveSessionNotesBodySchema, request.body );
		return app.services.notes.save( request.identity, id, body, query.bkx_vc );
	} );
}

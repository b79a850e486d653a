/**
 * `/v1/recordings`: the viewer's recordings, signed links to their bytes, sharing, deletion and
 * the personal data eraser. The decisions are in recordings/recordings-service.ts.
 */
import type { FastifyInstance } from 'fastify';

import {
	RecordingAccessQuerySchema,
	RecordingEraseRequestSchema,
	RecordingIdParamsSchema,
	RecordingLinkRequestSchema,
	RecordingListQuerySchema,
	RecordingUpdateSchema,
	type RecordingLink,
	type RecordingList,
	type RecordingView,
} from '@bkx-video/contracts';

import { parse } from '../validate';

export default async function recordingRoutes( app: FastifyInstance ) {
	const service = () => app.services.recordings;

	app.get( '/recordings', async ( request ): Promise< RecordingList > => {
		const query = parse( RecordingListQuerySchema, request.query );
		const filters = { consultationId: query.consultation_id, search: query.search, accessToken: query.bkx_vc, customerEmail: query.customer_email };
		return { recordings: await service().list( request.identity, filters ) };
	} );

	app.get( '/recordings/:id', async ( request ): Promise< RecordingView > => {
		const { id } = parse( RecordingIdParamsSchema, request.params );
		const query = parse( RecordingAccessQuerySchema, request.query );
		return service().get( request.identity, id, query.bkx_vc );
	} );

	app.post( '/recordings/:id/link', async ( request ): Promise< RecordingLink > => {
		const { id } = parse( RecordingIdParamsSchema, request.params );
		const query = parse( RecordingAccessQuerySchema, request.query );
		const body = parse( RecordingLinkRequestSchema, request.body ?? {} );
		return service().link( request.identity, id, body, query.bkx_vc );
	} );

	app.put( '/recordings/:id', async ( request ): Promise< RecordingView > => {
		const { id } = parse( RecordingIdParamsSchema, request.params );
		const body = parse( RecordingUpdateSchema, request.body );
		return service().update( request.identity, id, body );
	} );

	app.delete( '/recordings/:id', async ( request, reply ) => {
		const { id } = parse( RecordingIdParamsSchema, request.params );
		await service().remove( request.identity, id );
		return reply.status( 204 ).send();
	} );

	app.post( '/recordings/erase', async ( request ) => {
		const body = parse( RecordingEraseRequestSchema, request.body );
		return { deleted: await service().erase( request.identity, body.email ) };
	} );
}

/**
 * `/internal/*`: calls from the plugin itself (signed with the system identity).
 */
import type { FastifyInstance } from 'fastify';

import { AppError } from '../../errors';
import { can } from '../../policy/can';

export default async function internalRoutes( app: FastifyInstance ) {
	app.addHook( 'preHandler', app.verifyIdentity );

	/** PHP wrote outbox rows: work now instead of at the next poll. Answers at once. */
	app.post( '/outbox/nudge', async ( request, reply ) => {
		if ( ! can( request.identity, 'system.nudge' ) ) {
			throw new AppError( 'forbidden' );
		}
		app.workers.nudge();
		return reply.status( 202 ).send( { accepted: true } );
	} );
}

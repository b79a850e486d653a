/**
 * `/healthz` (the process is up) and `/readyz` (database reachable and schema current).
 */
import type { FastifyInstance } from 'fastify';

export default async function healthRoutes( app: FastifyInstance ) {
	app.get( '/healthz', async () => ( { ok: true } ) );

	app.get( '/readyz', async ( _request, reply ) => {
		try {
			await app.knex.raw( 'SELECT 1' );
			const status = await app.services.migrationStatus();
			if ( status.pending.length ) {
				return reply.status( 503 ).send( { ok: false, reason: 'migrations_pending', pending: status.pending } );
			}
			return { ok: true };
		} catch ( error ) {
			app.log.warn( { err: error }, 'readiness check failed' );
			return reply.status( 503 ).send( { ok: false, reason: 'database_unreachable' } );
		}
	} );
}

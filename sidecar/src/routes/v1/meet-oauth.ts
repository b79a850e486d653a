/**
 * `/v1/platforms/meet/oauth*`: connecting Google Meet (admin only). The plugin proxies
 * `video/platforms/...` here; the flow and its errors are in packages/contracts/src/meet-oauth.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import {
	MeetOAuthExchangeBodySchema,
	type MeetOAuthDisconnectResponse,
	type MeetOAuthExchangeResponse,
	type MeetOAuthStartResponse,
	type MeetOAuthStatus,
} from '@bkx-video/contracts';

import { AppError } from '../../errors';
import { can } from '../../policy/can';
import { parse } from '../validate';

function requireAdmin( request: FastifyRequest ): void {
	if ( ! can( request.identity, 'settings.write' ) ) {
		throw new AppError( 'forbidden', { message: 'Only administrators can connect Google.' } );
	}
}

export default async function meetOAuthRoutes( app: FastifyInstance ) {
	app.post( '/platforms/meet/oauth/start', async ( request ): Promise< MeetOAuthStartResponse > => {
		requireAdmin( request );
		return app.services.meetOAuth.start( request.identity.sub );
	} );

	app.post( '/platforms/meet/oauth/exchange', async ( request ): Promise< MeetOAuthExchangeResponse > => {
		requireAdmin( request );
		const body = parse( MeetOAuthExchangeBodySchema, request.body ?? {} );
		return app.services.meetOAuth.exchange( request.identity.sub, body );
	} );

	app.get( '/platforms/meet/oauth', async ( request ): Promise< MeetOAuthStatus > => {
		requireAdmin( request );
		return app.services.meetOAuth.status();
	} );

	app.delete( '/platforms/meet/oauth', async ( request ): Promise< MeetOAuthDisconnectResponse > => {
		requireAdmin( request );
		return app.services.meetOAuth.disconnect( request.identity.sub );
	} );
}

/**
 * `/v1/platforms/:platform/check`: the setup wizard's checks (admin only).
 *
 * `POST` body `{ step: 'connection' | 'test_meeting', organizer_email? }` → 200
 * `{ step, ok, message, fix?, details? }`. A vendor refusal is `ok: false` with the adapter's
 * sentence; bad input (unknown platform, bad step) is 400 `invalid_request`; non-admins get 403.
 */
import type { FastifyInstance } from 'fastify';

import { PlatformCheckBodySchema, PlatformCheckParamsSchema, type PlatformCheckResult } from '@bkx-video/contracts';

import { AppError } from '../../errors';
import { can } from '../../policy/can';
import { createAuditLogRepository } from '../../repositories/audit-log-repository';
import { createPlatformsRepository } from '../../repositories/platforms-repository';
import { createPlatformChecks } from '../../services/platform-checks';
import { parse } from '../validate';

export default async function platformRoutes( app: FastifyInstance ) {
	const checks = createPlatformChecks( {
		settings: app.services.settings,
		audit: createAuditLogRepository( app.knex, app.tables ),
		urls: app.config.platformUrls,
		timeoutMs: app.config.platformTimeoutMs,
		grants: createPlatformsRepository( app.knex, app.tables, app.config.encryptionKey ).grants,
		log: app.log,
	} );

	app.post( '/platforms/:platform/check', async ( request ): Promise< PlatformCheckResult > => {
		if ( ! can( request.identity, 'settings.write' ) ) {
			throw new AppError( 'forbidden', { message: 'Only administrators can check the video platforms.' } );
		}
		const { platform } = parse( PlatformCheckParamsSchema, request.params );
		const body = parse( PlatformCheckBodySchema, request.body ?? {} );
		return checks.run( platform, body, request.identity.sub );
	} );
}

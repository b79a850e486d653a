/**
 * `/v1/*`: the routes the plugin forwards to. Every route here requires a verified identity.
 * Routes stay thin: validate with a contract schema, check `can()`, call a service, reply.
 */
import type { FastifyInstance } from 'fastify';

import {
	PLATFORM_LABELS,
	AccessTokenQuerySchema,
	type SelectablePlatforms,
	type CalendarEntry,
	ConsultationIdParamsSchema,
	type ConsultationView,
	type JoinResponse,
	type SettingsView,
	type SidecarStatus,
} from '@bkx-video/contracts';

import { AppError } from '../../errors';
import { selectablePlatforms } from '../../platforms/registry';
import { can } from '../../policy/can';
import { parse } from '../validate';
import meetOAuthRoutes from './meet-oauth';
import platformRoutes from './platforms';
import recordingRoutes from './recordings';
import roomTicketRoutes from './rooms';
import notesRoutes from './notes';

export default async function v1Routes( app: FastifyInstance ) {
	app.addHook( 'preHandler', app.verifyIdentity );
	await app.register( platformRoutes );
	await app.register( meetOAuthRoutes );
	await app.register( recordingRoutes );
	await app.register( roomTicketRoutes );
	await app.register( notesRoutes );

	app.get( '/consultations/current', async ( request ): Promise< ConsultationView > => {
		const query = parse( AccessTokenQuerySchema, request.query );
		return app.services.consultations.current( request.identity, query.bkx_vc );
	} );

	app.get( '/consultations/:id', async ( request ): Promise< ConsultationView > => {
		const { id } = parse( ConsultationIdParamsSchema, request.params );
		const query = parse( AccessTokenQuerySchema, request.query );
		return app.services.consultations.get( request.identity, id, query.bkx_vc );
	} );

	app.get( '/consultations/:id/calendar', async ( request ): Promise< CalendarEntry > => {
		const { id } = parse( ConsultationIdParamsSchema, request.params );
		const query = parse( AccessTokenQuerySchema, request.query );
		return app.services.calendar.get( request.identity, id, query.bkx_vc );
	} );

	app.post( '/consultations/:id/join', async ( request ): Promise< JoinResponse > => {
		const { id } = parse( ConsultationIdParamsSchema, request.params );
		const query = parse( AccessTokenQuerySchema, request.query );
		// The proxy forwards the browser's User-Agent and address (our own join events record them).
		const forwarded = request.headers[ 'x-forwarded-for' ];
		return app.services.consultations.join( request.identity, id, query.bkx_vc, {
			userAgent: request.headers[ 'user-agent' ] ?? null,
			forwardedFor: Array.isArray( forwarded ) ? forwarded[ 0 ] : forwarded ?? null,
		} );
	} );

	// The booking form's "Video platform" field (allow_platform_selection): what a customer may pick.
	// Anyone may ask (the form is public); it reveals only which platforms are switched on.
	app.get( '/platforms/selectable', async (): Promise< SelectablePlatforms > => {
		const settings = await app.services.settings.get();
		return {
			allow_selection: settings.allow_platform_selection,
			platforms: selectablePlatforms( settings ).map( ( id ) => ( { id, label: PLATFORM_LABELS[ id ] } ) ),
		};
	} );

	app.get( '/settings', async ( request ): Promise< SettingsView > => {
		if ( ! can( request.identity, 'settings.read' ) ) {
			throw new AppError( 'forbidden', { message: 'Only administrators can see these settings.' } );
		}
		return app.services.settings.view();
	} );

	app.put( '/settings', async ( request ): Promise< SettingsView > => {
		if ( ! can( request.identity, 'settings.write' ) ) {
			throw new AppError( 'forbidden', { message: 'Only administrators can change these settings.' } );
		}
		const view = await app.services.settings.update( request.body, request.identity.sub );
		// New credentials may fix a failing platform: check at once instead of at the next probe.
		await app.services.health.probeSoon();
		request.log.info( { actor: request.identity.sub, keys: Object.keys( ( request.body as object ) ?? {} ) }, 'settings saved' );
		return view;
	} );

	app.get( '/status', async ( request ): Promise< SidecarStatus > => {
		if ( ! can( request.identity, 'status.read' ) ) {
			throw new AppError( 'forbidden' );
		}
		return app.services.status();
	} );
}

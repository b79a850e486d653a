/**
 * `/webhooks/*`: platforms calling us, through the plugin's public webhook routes, which forward
 * the raw bytes and the signature headers untouched (plugin/src/Rest/WebhookRoute.php). No
 * identity here: the platform's signature over the exact bytes is what is checked, so the body is
 * kept as bytes in this scope and parsed only after it verified.
 */
import type { FastifyInstance } from 'fastify';

export default async function webhookRoutes( app: FastifyInstance ) {
	app.removeAllContentTypeParsers();
	app.addContentTypeParser( '*', { parseAs: 'buffer' }, ( request, body: Buffer, done ) => {
		request.rawBody = body;
		done( null, body );
	} );

	app.post( '/zoom', async ( request, reply ) => {
		const header = ( name: string ) => {
			const value = request.headers[ name ];
			return Array.isArray( value ) ? value[ 0 ] : value;
		};
		const answer = await app.services.zoomWebhooks.receive( request.rawBody, {
			signature: header( 'x-zm-signature' ),
			timestamp: header( 'x-zm-request-timestamp' ),
		} );
		return reply.status( answer.status ).send( answer.body );
	} );

	// Microsoft Graph: the validation handshake (`?validationToken=`, for the notification and the
	// lifecycle URL alike), change and lifecycle notifications checked by their clientState.
	app.post( '/teams', async ( request, reply ) => {
		const answer = await app.services.teamsWebhooks.receive( request.rawBody, request.query as Record< string, unknown > );
		if ( answer.status === 200 ) {
			// The token goes back as is: text/plain, never interpreted by a browser.
			return reply.status( 200 ).header( 'content-type', answer.contentType ).header( 'x-content-type-options', 'nosniff' ).send( answer.body );
		}
		return reply.status( answer.status ).send( answer.body );
	} );
}

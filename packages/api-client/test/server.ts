/// <reference types="node" />
/**
 * A tiny WordPress REST stand-in on 127.0.0.1:0 that records what it received.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
	method: string;
	url: string;
	headers: IncomingMessage[ 'headers' ];
	body: string;
}

export type Handler = ( req: Recorded ) => { status: number; body: unknown; raw?: boolean };

export interface TestServer {
	baseUrl: string;
	requests: Recorded[];
	/** Route key `"GET /wp-json/…"` (path with query) → handler. */
	routes: Map< string, Handler >;
	close(): Promise< void >;
}

export async function startServer(): Promise< TestServer > {
	const requests: Recorded[] = [];
	const routes = new Map< string, Handler >();
	const server = createServer( ( req: IncomingMessage, res: ServerResponse ) => {
		const chunks: Buffer[] = [];
		req.on( 'data', ( c: Buffer ) => chunks.push( c ) );
		req.on( 'end', () => {
			const rec: Recorded = {
				method: req.method ?? '',
				url: req.url ?? '',
				headers: req.headers,
				body: Buffer.concat( chunks ).toString( 'utf8' ),
			};
			requests.push( rec );
			const handler = routes.get( `${ rec.method } ${ rec.url }` );
			const out = handler
				? handler( rec )
				: { status: 404, body: { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } } };
			res.statusCode = out.status;
			if ( out.raw ) {
				res.setHeader( 'Content-Type', 'text/html' );
				res.end( String( out.body ) );
				return;
			}
			res.setHeader( 'Content-Type', 'application/json' );
			res.end( JSON.stringify( out.body ) );
		} );
	} );
	await new Promise< void >( ( resolve ) => server.listen( 0, '127.0.0.1', resolve ) );
	const { port } = server.address() as AddressInfo;
	return {
		baseUrl: `http://127.0.0.1:${ port }`,
		requests,
		routes,
		close: () => new Promise< void >( ( resolve, reject ) => server.close( ( e?: Error ) => ( e ? reject( e ) : resolve() ) ) ),
	};
}

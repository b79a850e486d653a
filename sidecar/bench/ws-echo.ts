/**
 * The baseline of bench/rooms.ts: a bare `ws` server that parses each text message as JSON and
 * sends it back on the same socket (no validation, no rooms, no database), in a child process.
 */
import { WebSocketServer } from 'ws';

const server = new WebSocketServer( { host: '127.0.0.1', port: 0, perMessageDeflate: false } );
server.on( 'connection', ( socket ) => {
	socket.on( 'message', ( data ) => socket.send( JSON.stringify( JSON.parse( data.toString() ) ) ) );
} );
server.on( 'listening', () => {
	const address = server.address();
	process.stdout.write( `${ JSON.stringify( { port: typeof address === 'object' && address ? address.port : 0 } ) }\n` );
} );
process.on( 'SIGTERM', () => server.close( () => process.exit( 0 ) ) );

/**
 * The sidecar as the bench runs it: the real app (identity, policy, repositories) plus a bare
 * route, in a child process so the load generator does not share its event loop. BENCH_WORKERS=1
 * also starts its background workers.
 */
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';

const app = await buildApp( { config: loadConfig(), logger: false } );
app.get( '/bare', async () => ( { ok: true } ) );
if ( process.env.BENCH_WORKERS === '1' ) {
	// As production runs: polls, timers and nudged work (the webhook bench).
	app.workers.start();
}
await app.listen( { host: '127.0.0.1', port: 0 } );
const address = app.server.address();
process.stdout.write( `${ JSON.stringify( { port: typeof address === 'object' && address ? address.port : 0 } ) }\n` );
process.on( 'SIGTERM', () => void app.close().then( () => process.exit( 0 ) ) );

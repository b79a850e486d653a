/**
 * Starts the sidecar: config, migrations (under a lock), HTTP, background workers.
 */
import { buildApp } from './app';
import { ConfigError, loadConfig, unknownVariables } from './config';
import { migrateLatest } from './db/migrate';
import { VERSION } from './version';

async function main(): Promise< void > {
	let config;
	try {
		config = loadConfig();
	} catch ( error ) {
		if ( error instanceof ConfigError ) {
			process.stderr.write( `${ error.message }\nSee docs/configuration.md for every variable.\n` );
			process.exit( 78 );
		}
		throw error;
	}
	const app = await buildApp( { config } );
	for ( const name of unknownVariables() ) {
		app.log.warn( { variable: name }, `Unknown variable ${ name } is ignored (a typo?). See docs/configuration.md.` );
	}
	if ( config.migrateOnStart ) {
		const applied = await migrateLatest( app.knex, app.tables );
		app.log.info( { applied }, applied.length ? 'migrations applied' : 'schema is current' );
	}
	app.server.keepAliveTimeout = 65_000;
	app.server.requestTimeout = 30_000;
	await app.listen( { host: config.host, port: config.port } );
	app.log.info( { version: VERSION }, 'BookingX Video sidecar ready' );
	if ( config.workers ) {
		app.workers.start();
	}
	const shutdown = async ( signal: string ) => {
		app.log.info( { signal }, 'shutting down' );
		const timer = setTimeout( () => process.exit( 1 ), 10_000 );
		timer.unref();
		await app.close();
		process.exit( 0 );
	};
	process.once( 'SIGTERM', () => void shutdown( 'SIGTERM' ) );
	process.once( 'SIGINT', () => void shutdown( 'SIGINT' ) );
}

main().catch( ( error: unknown ) => {
	process.stderr.write( `Sidecar failed to start: ${ error instanceof Error ? error.stack ?? error.message : String( error ) }\n` );
	process.exit( 1 );
} );

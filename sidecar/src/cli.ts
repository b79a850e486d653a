/**
 * `bkx-video-sidecar migrate|rollback|status` (also `pnpm --filter @bkx-video/sidecar db:migrate`).
 */
import { ConfigError, loadConfig } from './config';
import { createKnex } from './db/knex';
import { migrateLatest, migrateRollback, migrationStatus } from './db/migrate';
import { tableNames } from './db/tables';

async function main( command: string | undefined ): Promise< number > {
	const config = loadConfig();
	const knex = createKnex( config.db );
	const tables = tableNames( config.db.prefix );
	try {
		switch ( command ) {
			case 'migrate': {
				const applied = await migrateLatest( knex, tables );
				process.stdout.write( applied.length ? `Applied: ${ applied.join( ', ' ) }\n` : 'Schema is current.\n' );
				return 0;
			}
			case 'rollback': {
				// The last batch only; `rollback --all` drops every table of ours (and its data).
				const reverted = await migrateRollback( knex, tables, process.argv.includes( '--all' ) );
				process.stdout.write( reverted.length ? `Reverted: ${ reverted.join( ', ' ) }\n` : 'Nothing to revert.\n' );
				return 0;
			}
			case 'status': {
				process.stdout.write( `${ JSON.stringify( await migrationStatus( knex, tables ), null, 2 ) }\n` );
				return 0;
			}
			default:
				process.stderr.write( 'Usage: bkx-video-sidecar-cli migrate | rollback [--all] | status\n' );
				return 64;
		}
	} finally {
		await knex.destroy();
	}
}

main( process.argv[ 2 ] ).then(
	( code ) => process.exit( code ),
	( error: unknown ) => {
		process.stderr.write( `${ error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String( error ) }\n` );
		process.exit( error instanceof ConfigError ? 78 : 1 );
	}
);

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MIGRATIONS, migrateLatest, migrateRollback, migrationStatus } from '../src/db/migrate';
import { tableNames } from '../src/db/tables';
import { PREFIX, createTestDatabase, type TestDb } from './helper';

let db: TestDb;
beforeAll( async () => {
	db = await createTestDatabase();
} );
afterAll( async () => db?.drop() );

const t = tableNames( PREFIX );
const OURS = [ t.consultations, t.participants, t.recordings, t.intakeForms, t.sessionNotes, t.platforms, t.settings, t.events, t.jobs, t.webhookEvents, t.accessTokens, t.auditLog, t.platformHealth, t.teamsSubscriptions, t.roomFiles, t.recordingConsents ];

async function tables(): Promise< string[] > {
	const [ rows ] = ( await db.knex.raw( 'SHOW TABLES' ) ) as [ Array< Record< string, string > > ];
	return rows.map( ( r ) => Object.values( r )[ 0 ]! ).filter( ( n ) => n.includes( 'bkx_video_' ) && ! n.includes( 'migrations' ) ).sort();
}

describe( 'migrations on MariaDB', () => {
	it( 'go up, down and up again', async () => {
		expect( await migrateLatest( db.knex, t ) ).toHaveLength( MIGRATIONS.length );
		expect( await tables() ).toEqual( [ ...OURS ].sort() );
		expect( await migrationStatus( db.knex, t ) ).toEqual( { current: MIGRATIONS.at( -1 )!.name, pending: [] } );

		expect( await migrateRollback( db.knex, t ) ).toHaveLength( MIGRATIONS.length );
		expect( await tables() ).toEqual( [] );

		expect( await migrateLatest( db.knex, t ) ).toHaveLength( MIGRATIONS.length );
		expect( await tables() ).toEqual( [ ...OURS ].sort() );
	} );

	it( 'are safe when several instances start at once', async () => {
		await migrateRollback( db.knex, t );
		const results = await Promise.all( [ migrateLatest( db.knex, t ), migrateLatest( db.knex, t ), migrateLatest( db.knex, t ) ] );
		expect( results.map( ( r ) => r.length ).sort() ).toEqual( [ 0, 0, MIGRATIONS.length ] );
	} );

	it( 'create InnoDB utf8mb4_unicode_ci tables with the spec indexes and foreign keys', async () => {
		const [ rows ] = ( await db.knex.raw( `SHOW CREATE TABLE \`${ t.consultations }\`` ) ) as [ Array< Record< string, string > > ];
		const ddl = rows[ 0 ]![ 'Create Table' ]!;
		expect( ddl ).toContain( 'ENGINE=InnoDB' );
		expect( ddl ).toContain( 'utf8mb4_unicode_ci' );
		expect( ddl ).toMatch( /UNIQUE KEY `booking_id_unique` \(`booking_id`\)/ );
		for ( const idx of [ 'platform_idx', 'status_idx', 'host_id_idx', 'scheduled_start_idx' ] ) {
			expect( ddl ).toContain( `KEY \`${ idx }\`` );
		}
		const [ prow ] = ( await db.knex.raw( `SHOW CREATE TABLE \`${ t.participants }\`` ) ) as [ Array< Record< string, string > > ];
		expect( prow[ 0 ]![ 'Create Table' ] ).toMatch( /FOREIGN KEY \(`consultation_id`\) REFERENCES `wp_bkx_video_consultations` \(`id`\) ON DELETE CASCADE/ );
	} );

	it( 'keep Teams subscription rows (consultation NULL) when a consultation goes, so their Graph subscription can still be deleted', async () => {
		const [ rows ] = ( await db.knex.raw( `SHOW CREATE TABLE \`${ t.teamsSubscriptions }\`` ) ) as [ Array< Record< string, string > > ];
		const ddl = rows[ 0 ]![ 'Create Table' ]!;
		expect( ddl ).toMatch( /UNIQUE KEY `subscription_id_unique` \(`subscription_id`\)/ );
		expect( ddl ).toMatch( /UNIQUE KEY `consultation_meeting_unique` \(`consultation_id`,`meeting_id`\)/ );
		expect( ddl ).toMatch( /FOREIGN KEY \(`consultation_id`\) REFERENCES `wp_bkx_video_consultations` \(`id`\) ON DELETE SET NULL/ );
	} );
} );

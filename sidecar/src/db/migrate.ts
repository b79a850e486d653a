/**
 * Runs our migrations. Several sidecar instances may start at once, so `latest` runs under a
 * MySQL named lock; the others wait, then find nothing to do.
 */
import type { Knex } from 'knex';

import { migration as m1 } from './migrations/202611220900-create-video-consultations';
import { migration as m2 } from './migrations/202611220905-create-platforms-and-settings';
import { migration as m3 } from './migrations/202611220910-create-outbox-and-jobs';
import { migration as m4 } from './migrations/202611220915-create-access-tokens-and-audit-log';
import { migration as m5 } from './migrations/202611221000-add-consultation-ics-sequence';
import { migration as m6 } from './migrations/202612011930-create-platform-health';
import { migration as m7 } from './migrations/202612012200-session-tracking';
import { migration as teamsSubscriptions } from './migrations/202612021000-teams-subscriptions';
import { migration as recordingsPipeline } from './migrations/202612021100-recordings-pipeline';
import { migration as roomFiles } from './migrations/202612021200-create-room-files';
import { migration as recordingConsents } from './migrations/202612021210-create-recording-consents';
import type { Migration } from './migrations/helpers';
import { withNamedLock } from './named-lock';
import type { Tables } from './tables';

export const MIGRATIONS: ReadonlyArray< Migration > = [ m1, m2, m3, m4, m5, m6, m7, teamsSubscriptions, recordingsPipeline, roomFiles, recordingConsents ];

function migratorConfig( tables: Tables ): Knex.MigratorConfig {
	return {
		tableName: tables.migrations,
		migrationSource: {
			getMigrations: async () => [ ...MIGRATIONS ],
			getMigrationName: ( m: Migration ) => m.name,
			getMigration: async ( m: Migration ) => ( {
				up: ( knex: Knex ) => m.up( knex, tables ),
				down: ( knex: Knex ) => m.down( knex, tables ),
			} ),
		},
	};
}

export async function migrateLatest( knex: Knex, tables: Tables ): Promise< string[] > {
	return withNamedLock( knex, `${ tables.migrations }_run`, 120, async () => {
		const [ , applied ] = ( await knex.migrate.latest( migratorConfig( tables ) ) ) as [ number, string[] ];
		return applied;
	} );
}

export async function migrateRollback( knex: Knex, tables: Tables, all = true ): Promise< string[] > {
	return withNamedLock( knex, `${ tables.migrations }_run`, 120, async () => {
		const [ , reverted ] = ( await knex.migrate.rollback( migratorConfig( tables ), all ) ) as [ number, string[] ];
		return reverted;
	} );
}

export async function migrationStatus( knex: Knex, tables: Tables ): Promise< { current: string | null; pending: string[] } > {
	const [ done, pending ] = ( await knex.migrate.list( migratorConfig( tables ) ) ) as [ Array< { name: string } | string >, Migration[] ];
	const names = done.map( ( d ) => ( typeof d === 'string' ? d : d.name ) );
	return { current: names.at( -1 ) ?? null, pending: pending.map( ( p ) => p.name ) };
}

import type { Knex } from 'knex';

import type { Tables } from '../tables';

/** A migration of ours: like knex's, with the table names (which depend on the prefix) passed in. */
export interface Migration {
	name: string;
	up( knex: Knex, t: Tables ): Promise< void >;
	down( knex: Knex, t: Tables ): Promise< void >;
}

/** InnoDB, utf8mb4_unicode_ci, as every table of ours. */
export function innodb( table: Knex.CreateTableBuilder ): void {
	table.engine( 'InnoDB' );
	table.charset( 'utf8mb4' );
	table.collate( 'utf8mb4_unicode_ci' );
}

/** Creates the table unless it exists (a half-applied earlier run must not stop start-up). */
export async function createTable(
	knex: Knex,
	name: string,
	build: ( table: Knex.CreateTableBuilder ) => void
): Promise< void > {
	if ( await knex.schema.hasTable( name ) ) {
		return;
	}
	await knex.schema.createTable( name, ( table ) => {
		innodb( table );
		build( table );
	} );
}

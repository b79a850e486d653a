import knexFactory, { type Knex } from 'knex';

import type { Config } from '../config';

/** A knex instance on the WordPress database. DATETIME columns hold UTC. */
export function createKnex( db: Config[ 'db' ] ): Knex {
	return knexFactory( {
		client: 'mysql2',
		connection: {
			host: db.host,
			port: db.port,
			user: db.user,
			password: db.password,
			database: db.database,
			charset: 'utf8mb4',
			timezone: 'Z',
			dateStrings: true,
			supportBigNumbers: true,
			bigNumberStrings: false,
		},
		pool: { min: 0, max: db.poolMax },
		acquireConnectionTimeout: 10000,
	} );
}

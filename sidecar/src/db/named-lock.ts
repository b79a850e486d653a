/**
 * MySQL named locks (`GET_LOCK`), held on one pooled connection while `fn` runs on others. They
 * serialize work across sidecar instances: migrations, and the sync of one booking.
 */
import type { Knex } from 'knex';

/** @throws Error when the lock is not free within `timeoutSeconds`. */
export async function withNamedLock< T >( knex: Knex, name: string, timeoutSeconds: number, fn: () => Promise< T > ): Promise< T > {
	// MySQL limits lock names to 64 characters; keep the distinctive end.
	const lock = name.slice( -64 );
	const conn = await knex.client.acquireConnection();
	try {
		const [ rows ] = ( await conn.promise().query( 'SELECT GET_LOCK(?, ?) AS got', [ lock, timeoutSeconds ] ) ) as [ Array< { got: number } > ];
		if ( rows[ 0 ]?.got !== 1 ) {
			throw new Error( `Could not take the lock "${ lock }" within ${ timeoutSeconds } s` );
		}
		try {
			return await fn();
		} finally {
			await conn.promise().query( 'SELECT RELEASE_LOCK(?)', [ lock ] );
		}
	} finally {
		await knex.client.releaseConnection( conn );
	}
}

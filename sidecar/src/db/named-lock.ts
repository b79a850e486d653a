/**
 * MySQL named locks (`GET_LOCK`), held on one pooled connection while `fn` runs on others. They
 * serialize work across sidecar instances: migrations, and the sync of one booking.
 */
import type { Knex } from 'knex';

import { batched } from './batch';

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

interface RawConnection {
	promise(): { query( sql: string, values: unknown[] ): Promise< [ unknown, unknown ] > };
	destroy(): void;
}

/**
 * Named locks for many names at once (booking syncs). Within the instance, callers of one name
 * queue in memory. Across instances, the names are taken with `GET_LOCK(name, 0)` on one shared
 * connection, many names per query (a burst of a thousand bookings would otherwise hold a
 * thousand connections and spend two round trips per booking). A name another instance holds is
 * waited for on a connection of its own, up to `timeoutSeconds`, as {@link withNamedLock} does.
 * The shared connection goes back to the pool when no lock is held.
 */
export function createLockSet( knex: Knex, timeoutSeconds: number ) {
	const tails = new Map< string, Promise< void > >();
	let holder: Promise< RawConnection > | null = null;
	let users = 0;
	let broken = false;

	function use(): Promise< RawConnection > {
		users++;
		if ( ! holder ) {
			const opening = ( knex.client.acquireConnection() as Promise< RawConnection > ).catch( ( error: unknown ) => {
				if ( holder === opening ) {
					holder = null;
				}
				throw error;
			} );
			holder = opening;
		}
		return holder;
	}

	function done(): void {
		users--;
		if ( users > 0 || ! holder ) {
			return;
		}
		const closing = holder;
		const wasBroken = broken;
		holder = null;
		broken = false;
		void closing.then(
			( conn ) => {
				// A connection whose lock query failed may still hold a lock: never give it to others.
				if ( wasBroken ) {
					conn.destroy();
				}
				return knex.client.releaseConnection( conn );
			},
			() => undefined
		);
	}

	async function query( names: readonly string[], fn: 'GET_LOCK(?, 0)' | 'RELEASE_LOCK(?)' ): Promise< boolean[] > {
		const conn = await holder!;
		try {
			const [ rows ] = ( await conn.promise().query( `SELECT ${ names.map( ( _, i ) => `${ fn } AS l${ i }` ).join( ', ' ) }`, [ ...names ] ) ) as unknown as [ Array< Record< string, unknown > > ];
			return names.map( ( _, i ) => Number( rows[ 0 ]?.[ `l${ i }` ] ) === 1 );
		} catch ( error ) {
			broken = true;
			throw error;
		}
	}
	const grab = batched( ( names: readonly string[] ) => query( names, 'GET_LOCK(?, 0)' ), { max: 100 } );
	const letGo = batched( ( names: readonly string[] ) => query( names, 'RELEASE_LOCK(?)' ), { max: 100 } );

	async function withDatabaseLock< T >( lock: string, fn: () => Promise< T > ): Promise< T > {
		let got: boolean;
		try {
			await use();
			got = await grab( lock );
		} catch ( error ) {
			done();
			throw error;
		}
		if ( ! got ) {
			done();
			return withNamedLock( knex, lock, timeoutSeconds, fn );
		}
		try {
			return await fn();
		} finally {
			// A failed release marks the connection broken: it is closed, which releases its locks.
			await letGo( lock ).catch( () => undefined );
			done();
		}
	}

	return {
		/** @throws Error when another instance holds the name for longer than `timeoutSeconds`. */
		async run< T >( name: string, fn: () => Promise< T > ): Promise< T > {
			// MySQL limits lock names to 64 characters; keep the distinctive end.
			const lock = name.slice( -64 );
			const before = tails.get( lock );
			let leave!: () => void;
			const mine = new Promise< void >( ( resolve ) => {
				leave = resolve;
			} );
			tails.set( lock, mine );
			try {
				await before;
				return await withDatabaseLock( lock, fn );
			} finally {
				leave();
				if ( tails.get( lock ) === mine ) {
					tails.delete( lock );
				}
			}
		},
	};
}

export type LockSet = ReturnType< typeof createLockSet >;

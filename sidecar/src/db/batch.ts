/**
 * Coalescing of many small queries into one (DataLoader without its cache). A burst of bookings
 * runs dozens of syncs at once; each would read its booking, service and seat and write its
 * consultation and token with a query of its own. Calls that arrive while the event loop is busy
 * (the same turn, or within `waitMs`) go out as one `WHERE … IN (…)` or one multi-row INSERT.
 * A single caller waits one event-loop turn longer than it would alone.
 */
import DataLoader from 'dataloader';

export interface BatchOptions {
	/** Keys per query at most. */
	max?: number;
	/** Wait this long for more callers (writes, whose callers finish platform calls at different moments); else one turn. */
	waitMs?: number;
}

/** `run` gets every key asked for since the last batch and answers each, in order (an Error fails that caller only). */
export function batched< K, V >( run: ( keys: readonly K[] ) => Promise< ReadonlyArray< V | Error > >, options: BatchOptions = {} ): ( key: K ) => Promise< V > {
	const { waitMs = 1 } = options;
	const loader = new DataLoader< K, V, K >( run, {
		cache: false,
		maxBatchSize: options.max ?? 200,
		batchScheduleFn: waitMs > 0 ? ( callback ) => void setTimeout( callback, waitMs ) : ( callback ) => void setImmediate( callback ),
	} );
	return ( key ) => loader.load( key );
}

/**
 * Runs `all` for the batch; when it fails and there was more than one key (a duplicate row in a
 * multi-row INSERT fails them all), runs `one` per key in order, so each caller gets its own
 * outcome and the earlier of two colliding rows is the one stored.
 */
export async function allOrEach< K, V >( keys: readonly K[], all: ( keys: readonly K[] ) => Promise< V[] >, one: ( key: K ) => Promise< V > ): Promise< Array< V | Error > > {
	try {
		return await all( keys );
	} catch ( error ) {
		if ( keys.length === 1 ) {
			return [ error instanceof Error ? error : new Error( String( error ) ) ];
		}
		// One after another, in the callers' order: of two rows that collide, the first one wins.
		const answers: Array< V | Error > = [];
		for ( const key of keys ) {
			answers.push( await one( key ).catch( ( e: unknown ) => ( e instanceof Error ? e : new Error( String( e ) ) ) ) );
		}
		return answers;
	}
}

/** Answers each key from rows found by one query: `keyOf(row)` names the key a row belongs to. */
export function byKey< K, R, V >( keys: readonly K[], rows: readonly R[], keyOf: ( row: R ) => K, toValue: ( row: R ) => V, missing: V ): V[] {
	const map = new Map< K, V >();
	for ( const row of rows ) {
		const key = keyOf( row );
		// The first row wins, as `first()` did for one key.
		if ( ! map.has( key ) ) {
			map.set( key, toValue( row ) );
		}
	}
	return keys.map( ( key ) => ( map.has( key ) ? map.get( key )! : missing ) );
}

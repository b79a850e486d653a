/**
 * Event keys a webhook endpoint took recently, per instance: a platform's retry of one of them is
 * answered at once, without a database write. Bounded; the oldest key goes first (a Set iterates
 * in insertion order). The real guarantee against double application is in the database (the
 * job's idempotency key); this only spares it the work.
 */
export function createRecentKeys( max = 100_000 ) {
	const keys = new Set< string >();
	return {
		has: ( key: string ) => keys.has( key ),
		remember( key: string ): void {
			if ( keys.size >= max ) {
				keys.delete( keys.values().next().value! );
			}
			keys.add( key );
		},
		/** A key whose event could not be stored: the platform's retry must be taken again. */
		forget: ( key: string ) => {
			keys.delete( key );
		},
	};
}

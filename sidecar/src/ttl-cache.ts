/**
 * A small per-instance cache with a time to live, bounded in size (cleared when full). Used for
 * the short caches of the join path (spec §12); a TTL of 0 disables it.
 *
 * It keeps the promise of the load, not its result: a hit costs no allocation, and requests that
 * miss together (a join storm when an entry expires) share one load instead of each reading the
 * database. The TTL runs from the start of the load, so a value is never older than the TTL. A
 * failed load is dropped at once; its waiting callers get the same error.
 */
export function createTtlCache< K, V >( options: { ttlSeconds: number; clock: () => Date; maxEntries?: number } ) {
	const entries = new Map< K, { value: Promise< V >; until: number } >();
	const max = options.maxEntries ?? 10_000;
	const ttlMs = options.ttlSeconds * 1000;
	return {
		/** The cached value, or the loaded one (cached when the TTL allows). */
		get( key: K, load: () => Promise< V >, fresh = false ): Promise< V > {
			const now = options.clock().getTime();
			const hit = entries.get( key );
			if ( hit && hit.until > now && ! fresh ) {
				return hit.value;
			}
			const value = load();
			if ( ttlMs > 0 ) {
				if ( entries.size >= max ) {
					entries.clear();
				}
				const entry = { value, until: now + ttlMs };
				entries.set( key, entry );
				value.catch( () => {
					if ( entries.get( key ) === entry ) {
						entries.delete( key );
					}
				} );
			}
			return value;
		},
		delete( key: K ): void {
			entries.delete( key );
		},
	};
}

/**
 * A small per-instance cache with a time to live, bounded in size (cleared when full). Used for
 * the short caches of the join path (spec §12); a TTL of 0 disables it.
 */
export function createTtlCache< K, V >( options: { ttlSeconds: number; clock: () => Date; maxEntries?: number } ) {
	const entries = new Map< K, { value: V; until: number } >();
	const max = options.maxEntries ?? 10_000;
	return {
		/** The cached value, or the loaded one (cached when the TTL allows). */
		async get( key: K, load: () => Promise< V >, fresh = false ): Promise< V > {
			const now = options.clock().getTime();
			const hit = entries.get( key );
			if ( hit && hit.until > now && ! fresh ) {
				return hit.value;
			}
			const value = await load();
			if ( options.ttlSeconds > 0 ) {
				if ( entries.size >= max ) {
					entries.clear();
				}
				entries.set( key, { value, until: now + options.ttlSeconds * 1000 } );
			}
			return value;
		},
		delete( key: K ): void {
			entries.delete( key );
		},
	};
}

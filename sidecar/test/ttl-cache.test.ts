import { describe, expect, it } from 'vitest';

import { createTtlCache } from '../src/ttl-cache';

describe( 'ttl cache', () => {
	it( 'answers from memory within the TTL, reloads after it, on demand and after delete', async () => {
		let now = 0;
		let loads = 0;
		const cache = createTtlCache< string, number >( { ttlSeconds: 5, clock: () => new Date( now ) } );
		const load = async () => ++loads;
		expect( await cache.get( 'a', load ) ).toBe( 1 );
		expect( await cache.get( 'a', load ) ).toBe( 1 );
		now += 5001;
		expect( await cache.get( 'a', load ) ).toBe( 2 );
		expect( await cache.get( 'a', load, true ) ).toBe( 3 );
		cache.delete( 'a' );
		expect( await cache.get( 'a', load ) ).toBe( 4 );
	} );

	it( 'caches nothing with a TTL of 0 and stays bounded', async () => {
		let loads = 0;
		const off = createTtlCache< string, number >( { ttlSeconds: 0, clock: () => new Date( 0 ) } );
		await off.get( 'a', async () => ++loads );
		await off.get( 'a', async () => ++loads );
		expect( loads ).toBe( 2 );
		const small = createTtlCache< number, number >( { ttlSeconds: 60, clock: () => new Date( 0 ), maxEntries: 2 } );
		let n = 0;
		for ( const k of [ 1, 2, 3 ] ) {
			await small.get( k, async () => ++n );
		}
		expect( await small.get( 1, async () => ++n ) ).toBe( 4 ); // evicted when the cache filled up
	} );
} );

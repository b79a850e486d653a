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

	it( 'lets requests that miss together share one load (a join storm reads the row once)', async () => {
		let now = 0;
		let loads = 0;
		let release!: ( v: number ) => void;
		const cache = createTtlCache< string, number >( { ttlSeconds: 5, clock: () => new Date( now ) } );
		const load = () => {
			loads++;
			return new Promise< number >( ( resolve ) => ( release = resolve ) );
		};
		const waiting = Array.from( { length: 50 }, () => cache.get( 'a', load ) );
		release( 42 );
		expect( await Promise.all( waiting ) ).toEqual( Array( 50 ).fill( 42 ) );
		expect( loads ).toBe( 1 );
		// The TTL counts from the start of the load: a value is never older than the TTL.
		now += 5001;
		const again = cache.get( 'a', load );
		release( 43 );
		expect( await again ).toBe( 43 );
		expect( loads ).toBe( 2 );
	} );

	it( 'does not keep a failed load, and a delete during a load keeps its late answer out', async () => {
		let loads = 0;
		const cache = createTtlCache< string, number >( { ttlSeconds: 60, clock: () => new Date( 0 ) } );
		const failing = async () => {
			loads++;
			throw new Error( 'database down' );
		};
		const [ first, second ] = [ cache.get( 'a', failing ), cache.get( 'a', failing ) ];
		await expect( first ).rejects.toThrow( 'database down' );
		await expect( second ).rejects.toThrow( 'database down' );
		expect( loads ).toBe( 1 );
		expect( await cache.get( 'a', async () => ++loads ) ).toBe( 2 );

		let release!: ( v: number ) => void;
		const stale = cache.get( 'b', () => new Promise< number >( ( resolve ) => ( release = resolve ) ) );
		cache.delete( 'b' ); // a write through the repository while the read was in flight
		release( 1 );
		expect( await stale ).toBe( 1 );
		expect( await cache.get( 'b', async () => 2 ) ).toBe( 2 );
	} );
} );

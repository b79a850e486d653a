import { defineConfig } from 'vitest/config';

// vitest 5's reporter calls Map.groupBy (Node >= 21) when printing a failure; Node 20 lacks it.
// The config is loaded in the main process, where the reporter runs, so the polyfill goes here.
if ( ! ( Map as unknown as { groupBy?: unknown } ).groupBy ) {
	( Map as unknown as { groupBy: unknown } ).groupBy = < K, V >( items: Iterable< V >, key: ( v: V, i: number ) => K ) => {
		const out = new Map< K, V[] >();
		let i = 0;
		for ( const item of items ) {
			const k = key( item, i++ );
			out.set( k, [ ...( out.get( k ) ?? [] ), item ] );
		}
		return out;
	};
}

export default defineConfig( {
	test: {
		include: [
			'packages/*/test/**/*.test.ts',
			'sidecar/test/**/*.test.ts',
			'blocks/src/**/test/*.test.ts',
			'admin-app/src/**/test/*.test.ts',
			'test/**/*.test.ts',
		],
		testTimeout: 30_000,
		hookTimeout: 120_000,
		fileParallelism: true,
		maxWorkers: 2,
	},
} );

import { defineConfig } from 'vitest/config';

import '../vitest.config';

export default defineConfig( {
	test: {
		include: [ 'test/**/*.test.ts' ],
		testTimeout: 180_000,
		hookTimeout: 180_000,
		// Each file runs its own WordPress, sidecar and browser; two at a time fit this 2-core box.
		fileParallelism: true,
		maxWorkers: 2,
	},
} );

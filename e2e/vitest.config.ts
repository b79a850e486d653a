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
		// A page's first REST answer goes through php -S and the sidecar while another file's stack
		// runs beside it: wait for UI states for up to 15 s, not vitest's default 1 s.
		expect: { poll: { timeout: 15_000, interval: 100 } },
	},
} );

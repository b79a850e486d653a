import { defineConfig } from 'vitest/config';

import '../vitest.config';

export default defineConfig( {
	test: {
		include: [ 'test/**/*.test.ts' ],
		testTimeout: 180_000,
		hookTimeout: 180_000,
		// Each file runs its own WordPress, sidecar and browsers. One file at a time: the room files
		// (up to five Chromiums, Janus, coturn, live video) starve a neighbour on this 2-core box
		// (a peer test timed out next to the 5-person Janus test).
		fileParallelism: false,
		maxWorkers: 1,
		// A page's first REST answer goes through php -S and the sidecar while another file's stack
		// runs beside it: wait for UI states for up to 15 s, not vitest's default 1 s.
		expect: { poll: { timeout: 15_000, interval: 100 } },
	},
} );

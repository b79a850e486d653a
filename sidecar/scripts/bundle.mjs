// Bundles the sidecar into one program (BRIEF §10): dist/bkx-video-sidecar.mjs and the CLI.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse( readFileSync( new URL( '../package.json', import.meta.url ), 'utf8' ) );
const common = {
	bundle: true,
	platform: 'node',
	target: 'node20',
	format: 'esm',
	// knex loads optional drivers we never use; mark them external so the bundle resolves.
	external: [ 'pg', 'pg-query-stream', 'sqlite3', 'better-sqlite3', 'tedious', 'oracledb', 'mysql', 'pg-native', 'mariadb', 'mariadb/callback' ],
	banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
	define: { 'process.env.BKX_VIDEO_BUILD_VERSION': JSON.stringify( pkg.version ) },
	logLevel: 'warning',
};
await build( { ...common, entryPoints: [ 'src/server.ts' ], outfile: 'dist/bkx-video-sidecar.mjs' } );
await build( { ...common, entryPoints: [ 'src/cli.ts' ], outfile: 'dist/bkx-video-sidecar-cli.mjs' } );
console.log( 'sidecar bundled: dist/bkx-video-sidecar.mjs, dist/bkx-video-sidecar-cli.mjs' );

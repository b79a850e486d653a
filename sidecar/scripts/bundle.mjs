// Bundles the sidecar into one program (BRIEF §10): dist/bkx-video-sidecar.mjs and the CLI.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse( readFileSync( new URL( '../package.json', import.meta.url ), 'utf8' ) );
const common = {
	bundle: true,
	platform: 'node',
	target: 'node20',
	format: 'esm',
	// knex loads optional drivers we never use; mark them external so the bundle resolves.
	external: [ 'pg', 'pg-query-stream', 'sqlite3', 'better-sqlite3', 'tedious', 'oracledb', 'mysql', 'pg-native', 'mariadb', 'mariadb/callback' ],
	// CommonJS dependencies expect require/__dirname; @touch4it/ical-timezones reads its VTIMEZONE
	// files from `<__dirname>/zones`, which we copy next to the bundle.
	banner: {
		js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);",
	},
	define: { 'process.env.BKX_VIDEO_BUILD_VERSION': JSON.stringify( pkg.version ) },
	logLevel: 'warning',
};
rmSync( 'dist', { recursive: true, force: true } );
await build( { ...common, entryPoints: [ 'src/server.ts' ], outfile: 'dist/bkx-video-sidecar.mjs' } );
const zones = join( dirname( createRequire( import.meta.url ).resolve( '@touch4it/ical-timezones' ) ), 'zones' );
cpSync( zones, 'dist/zones', { recursive: true } );
await build( { ...common, entryPoints: [ 'src/cli.ts' ], outfile: 'dist/bkx-video-sidecar-cli.mjs' } );
console.log( 'sidecar bundled: dist/bkx-video-sidecar.mjs, dist/bkx-video-sidecar-cli.mjs, dist/zones/ (VTIMEZONE data)' );

/**
 * What a site owner installs: the plugin zip (pnpm build:zip) and the wp-env configuration.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

describe( 'distribution', () => {
	it( 'builds an installable plugin zip without sources, maps or node_modules', () => {
		const out = execFileSync( 'bash', [ 'scripts/build-zip.sh' ], { encoding: 'utf8' } ).trim().split( '\n' ).at( -1 )!;
		expect( out ).toMatch( /^dist\/bookingx-video-consultation-\d+\.\d+\.\d+\.zip$/ );
		const files = execFileSync( 'unzip', [ '-Z1', out ], { encoding: 'utf8' } ).trim().split( '\n' );
		for ( const required of [
			'bookingx-video-consultation/bookingx-video-consultation.php',
			'bookingx-video-consultation/readme.txt',
			'bookingx-video-consultation/assets/jsx-runtime-shim.js',
			'bookingx-video-consultation/build/blocks/join-button/block.json',
			'bookingx-video-consultation/build/blocks/join-button/render.php',
			'bookingx-video-consultation/build/blocks/join-button/view.js',
			'bookingx-video-consultation/build/admin/index.js',
		] ) {
			expect( files ).toContain( required );
		}
		expect( files.filter( ( f ) => /node_modules|\.map$|\.tsx?$|\.scss$/.test( f ) ) ).toEqual( [] );
	} );

	it( 'has a wp-env configuration that maps the plugin, pins versions and fixes the MySQL port', () => {
		const config = JSON.parse( readFileSync( '.wp-env.json', 'utf8' ) ) as Record< string, any >;
		expect( config.plugins ).toContain( './plugin' );
		expect( config.core ).toMatch( /WordPress\/WordPress#\d+\.\d+/ );
		expect( config.phpVersion ).toMatch( /^\d+\.\d+$/ );
		expect( config.env.development.mysqlPort ).toEqual( expect.any( Number ) );
		expect( config.config.BKX_VIDEO_SIDECAR_URL ).toMatch( /^http:\/\// );
		expect( config.config.BKX_VIDEO_SIDECAR_SECRET.length ).toBeGreaterThanOrEqual( 32 );
	} );
} );

import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../src/config';

const good = {
	BKX_VIDEO_SIDECAR_SECRET: 'x'.repeat( 40 ),
	BKX_VIDEO_ENCRYPTION_KEY: 'ab'.repeat( 32 ),
	BKX_VIDEO_SITE_URL: 'https://clinic.example.test/',
	BKX_VIDEO_DB_NAME: 'wordpress',
};

describe( 'config', () => {
	it( 'parses a good environment with defaults', () => {
		const c = loadConfig( good );
		expect( c ).toMatchObject( { port: 8787, host: '127.0.0.1', siteUrl: 'https://clinic.example.test', db: { prefix: 'wp_', port: 3306 } } );
		expect( c.encryptionKey ).toHaveLength( 32 );
		expect( c.mailRelayUrl ).toBe( 'https://clinic.example.test/?rest_route=/bookingx/v1/video/internal/mail' );
	} );

	it( 'names every missing variable', () => {
		expect( () => loadConfig( {} ) ).toThrow( ConfigError );
		try {
			loadConfig( {} );
		} catch ( error ) {
			const message = ( error as Error ).message;
			for ( const name of [ 'BKX_VIDEO_SIDECAR_SECRET', 'BKX_VIDEO_ENCRYPTION_KEY', 'BKX_VIDEO_SITE_URL', 'BKX_VIDEO_DB_NAME' ] ) {
				expect( message ).toMatch( new RegExp( `${ name } is required` ) );
			}
		}
	} );

	it( 'names a bad variable and says how to fix it', () => {
		expect( () => loadConfig( { ...good, BKX_VIDEO_ENCRYPTION_KEY: 'short' } ) ).toThrow( /BKX_VIDEO_ENCRYPTION_KEY must be 32 bytes/ );
		expect( () => loadConfig( { ...good, BKX_VIDEO_SIDECAR_SECRET: 'short' } ) ).toThrow( /BKX_VIDEO_SIDECAR_SECRET must be at least 32 characters/ );
		expect( () => loadConfig( { ...good, BKX_VIDEO_PORT: 'http' } ) ).toThrow( /BKX_VIDEO_PORT/ );
		expect( () => loadConfig( { ...good, BKX_VIDEO_DB_PREFIX: 'wp-;drop' } ) ).toThrow( /BKX_VIDEO_DB_PREFIX may contain only/ );
	} );
} );

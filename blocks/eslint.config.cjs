/**
 * ESLint 10 flat config: @wordpress/scripts' default plus what this monorepo needs.
 */
const path = require( 'path' );
const wpScriptsConfig = require( '@wordpress/scripts/config/eslint.config.cjs' );

module.exports = [
	...wpScriptsConfig,
	{
		// The blocks run on WordPress 6.1's React (externalized), not an installed copy.
		settings: { react: { version: '17.0' } },
	},
	{
		// Unit tests run with the root's vitest (a root devDependency).
		files: [ 'src/**/test/**/*.{ts,tsx}' ],
		rules: {
			'import/no-extraneous-dependencies': [
				'error',
				{ packageDir: [ __dirname, path.join( __dirname, '..' ) ] },
			],
		},
	},
];

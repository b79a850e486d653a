/**
 * `react-jsx-runtime` for WordPress < 6.6.
 *
 * Builds made with @wordpress/scripts ≥ 28 compile JSX to `ReactJSXRuntime.jsx()` / `jsxs()` and
 * depend on the `react-jsx-runtime` script handle, which WordPress registers only from 6.6. The
 * plugin registers this file under that handle when it is missing. It maps the automatic runtime
 * onto `React.createElement` of the React bundled with WordPress.
 */
( function ( window ) {
	'use strict';

	var React = window.React;
	if ( ! React || window.ReactJSXRuntime ) {
		return;
	}
	var hasOwn = Object.prototype.hasOwnProperty;

	/**
	 * Copies props, moves `key` in, and hands the children to createElement.
	 *
	 * @param {*}       type           Element type.
	 * @param {Object}  config         Props, including `children`.
	 * @param {*}       maybeKey       Key passed separately by the compiler.
	 * @param {boolean} staticChildren Whether `children` is a static array to spread (jsxs).
	 * @return {Object} React element.
	 */
	function create( type, config, maybeKey, staticChildren ) {
		var props = {};
		var name;
		for ( name in config ) {
			if ( hasOwn.call( config, name ) ) {
				props[ name ] = config[ name ];
			}
		}
		if ( maybeKey !== undefined ) {
			props.key = '' + maybeKey;
		}
		if ( staticChildren && Array.isArray( props.children ) ) {
			var children = props.children;
			delete props.children;
			return React.createElement.apply( React, [ type, props ].concat( children ) );
		}
		// jsx: the children stay a single prop value, as React's own runtime passes them.
		return React.createElement( type, props );
	}

	window.ReactJSXRuntime = {
		Fragment: React.Fragment,
		jsx: function ( type, config, maybeKey ) {
			return create( type, config, maybeKey, false );
		},
		jsxs: function ( type, config, maybeKey ) {
			return create( type, config, maybeKey, true );
		},
	};
} )( window );

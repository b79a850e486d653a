/**
 * Ambient declarations for what ships without types.
 */

// Stylesheets are extracted by wp-scripts (style-index.css, index.css).
declare module '*.scss';

// @wordpress/block-editor publishes no type declarations; these are the two parts we use,
// typed as WordPress 6.1 ships them.
declare module '@wordpress/block-editor' {
	import type { ComponentType, HTMLAttributes, ReactNode } from 'react';

	export const InspectorControls: ComponentType< {
		group?: string;
		children?: ReactNode;
	} >;
	export function useBlockProps(
		props?: HTMLAttributes< HTMLElement > &
			Record< `data-${ string }`, string >
	): HTMLAttributes< HTMLElement > & Record< string, unknown >;
}

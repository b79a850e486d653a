/**
 * Registers `bookingx-video/meeting-room`. block.json owns name and supports; the editor shows a
 * placeholder (a room needs a live consultation). Dynamic block: render.php renders it.
 */

/**
 * WordPress dependencies
 */
import { registerBlockType } from '@wordpress/blocks';
import type { BlockConfiguration } from '@wordpress/blocks';

/**
 * Internal dependencies
 */
import metadata from './block.json';
import Edit from './edit';

registerBlockType( metadata as unknown as BlockConfiguration, {
	edit: Edit,
	icon: 'format-video',
	save: () => null,
} );

/**
 * Registers `bookingx-video/join-button`. block.json owns name, attributes and supports; this adds
 * the JS-only parts. Dynamic block: render.php renders it, so nothing is saved in post content.
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
import type { JoinButtonOptions } from './join-state';
import './style.scss';
import './editor.scss';

registerBlockType(
	metadata as unknown as BlockConfiguration< JoinButtonOptions >,
	{
		edit: Edit,
		icon: 'video-alt2',
		save: () => null,
	}
);

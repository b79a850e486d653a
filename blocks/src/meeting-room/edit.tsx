/**
 * Editor view of the consultation room: a placeholder saying what visitors will see.
 */

/**
 * WordPress dependencies
 */
import { useBlockProps } from '@wordpress/block-editor';
import { Placeholder } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

export default function Edit() {
	return (
		<div { ...useBlockProps() }>
			<Placeholder
				icon="format-video"
				label={ __(
					'Consultation room',
					'bookingx-video-consultation'
				) }
				instructions={ __(
					'Visitors who open this page from a Join button see the built-in video room here: a camera and microphone check, the waiting room, video, chat and screen sharing.',
					'bookingx-video-consultation'
				) }
			/>
		</div>
	);
}

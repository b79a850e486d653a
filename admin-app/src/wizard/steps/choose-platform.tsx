import { Button, RadioControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

import { WIZARD_PLATFORMS, type WizardPlatform } from '../model';
import { platformDescription, platformLabel } from '../labels';

/**
 * The first step: which platform to set up.
 * @param root0
 * @param root0.initial
 * @param root0.onChoose
 */
export default function ChoosePlatform( {
	initial,
	onChoose,
}: {
	initial: WizardPlatform | null;
	onChoose: ( platform: WizardPlatform ) => void;
} ) {
	const [ selected, setSelected ] = useState< WizardPlatform >(
		initial ?? 'zoom'
	);
	return (
		<div className="bkx-video-wizard__choose">
			<RadioControl
				label={ __(
					'Which video platform do you want to set up?',
					'bookingx-video-consultation'
				) }
				selected={ selected }
				options={ WIZARD_PLATFORMS.map( ( id ) => ( {
					value: id,
					label: platformLabel( id ),
				} ) ) }
				onChange={ ( value: string ) =>
					setSelected( value as WizardPlatform )
				}
			/>
			<p className="bkx-video-wizard__hint">
				{ platformDescription( selected ) }
			</p>
			<div className="bkx-video-admin__actions">
				<Button
					variant="primary"
					onClick={ () => onChoose( selected ) }
				>
					{ __( 'Continue', 'bookingx-video-consultation' ) }
				</Button>
			</div>
		</div>
	);
}

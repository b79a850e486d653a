import { Button, CheckboxControl, Notice } from '@wordpress/components';
import { useDispatch, useSelect } from '@wordpress/data';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

import { store } from '../../store';
import type { WizardPlatform } from '../model';

/**
 * The last step: turn the platform on for new bookings (and make it the default), saved with the
 * settings save.
 * @param root0
 * @param root0.platform
 * @param root0.label
 * @param root0.onFinish
 */
export default function Done( {
	platform,
	label,
	onFinish,
}: {
	platform: WizardPlatform;
	label: string;
	onFinish: () => void;
} ) {
	const { settings, saving } = useSelect(
		( select ) => ( {
			settings: select( store ).getSettings(),
			saving: select( store ).isSaving(),
		} ),
		[]
	);
	const { editSetting, saveSettings } = useDispatch( store );
	const [ makeDefault, setMakeDefault ] = useState(
		settings?.default_platform !== platform
	);
	const [ saved, setSaved ] = useState( false );
	const enabledKey = `${ platform }_enabled` as const;
	const isEnabled = settings?.[ enabledKey ] === true;
	const isDefault = settings?.default_platform === platform;

	const apply = async () => {
		editSetting( enabledKey, true );
		if ( makeDefault ) {
			editSetting( 'default_platform', platform );
		}
		if ( ( await saveSettings() ) as unknown as boolean ) {
			setSaved( true );
		}
	};

	return (
		<div className="bkx-video-wizard__done">
			<p>
				{ sprintf(
					/* translators: %s: platform name, such as "Zoom". */
					__(
						'%s is set up: the credentials work and meetings can be created and deleted.',
						'bookingx-video-consultation'
					),
					label
				) }
			</p>
			{ ! isDefault && (
				<CheckboxControl
					label={ sprintf(
						/* translators: %s: platform name, such as "Zoom". */
						__(
							'Make %s the default platform for new consultations',
							'bookingx-video-consultation'
						),
						label
					) }
					checked={ makeDefault }
					onChange={ ( checked: boolean ) =>
						setMakeDefault( checked )
					}
				/>
			) }
			<div className="bkx-video-admin__actions">
				<Button
					variant="primary"
					isBusy={ saving }
					disabled={ saving }
					onClick={ apply }
				>
					{ sprintf(
						/* translators: %s: platform name, such as "Zoom". */
						__(
							'Use %s for video consultations',
							'bookingx-video-consultation'
						),
						label
					) }
				</Button>
				<Button variant="tertiary" onClick={ onFinish }>
					{ __( 'Close the wizard', 'bookingx-video-consultation' ) }
				</Button>
			</div>
			<div role="status" aria-live="polite">
				{ saved && isEnabled && (
					<Notice status="success" isDismissible={ false }>
						<p>
							{ isDefault
								? sprintf(
										/* translators: %s: platform name, such as "Zoom". */
										__(
											'%s is on and the default: new video consultations will use it.',
											'bookingx-video-consultation'
										),
										label
									)
								: sprintf(
										/* translators: %s: platform name, such as "Zoom". */
										__(
											'%s is on: services set to use it will.',
											'bookingx-video-consultation'
										),
										label
									) }
						</p>
					</Notice>
				) }
			</div>
		</div>
	);
}

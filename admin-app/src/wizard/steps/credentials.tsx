import { Button, TextControl } from '@wordpress/components';
import { useDispatch, useRegistry, useSelect } from '@wordpress/data';
import { __ } from '@wordpress/i18n';
import { isSecretSettingKey } from '@bkx-video/contracts';

import SettingField from '../../components/SettingField';
import { store } from '../../store';
import {
	CREDENTIAL_KEYS,
	missingCredentials,
	type WizardPlatform,
} from '../model';

/**
 * The platform's credential fields (the same controls and draft as the settings screen, so
 * secrets stay write-only and show their "saved" state), saved with the settings save.
 * @param root0
 * @param root0.platform
 * @param root0.organizerEmail
 * @param root0.onOrganizerEmail
 * @param root0.onSaved
 */
export default function Credentials( {
	platform,
	organizerEmail,
	onOrganizerEmail,
	onSaved,
}: {
	platform: WizardPlatform;
	organizerEmail: string;
	onOrganizerEmail: ( value: string ) => void;
	onSaved: () => void;
} ) {
	const saving = useSelect( ( select ) => select( store ).isSaving(), [] );
	const { saveSettings, setFieldErrors } = useDispatch( store );
	const registry = useRegistry();

	const onSubmit = async ( event: { preventDefault: () => void } ) => {
		event.preventDefault();
		const selectors = registry.select( store );
		const missing = missingCredentials(
			platform,
			( key ) => selectors.getFieldValue( key ),
			( key ) =>
				isSecretSettingKey( key ) &&
				selectors.getSecretState( key ).is_set &&
				! selectors.isSecretMarkedForClearing( key )
		);
		if ( missing.length > 0 ) {
			setFieldErrors(
				Object.fromEntries(
					missing.map( ( key ) => [
						key,
						__(
							'This field is required.',
							'bookingx-video-consultation'
						),
					] )
				)
			);
			return;
		}
		// Nothing typed is lost on failure: the draft stays and errors show at their fields.
		const saved = ( await saveSettings() ) as unknown as boolean;
		if ( saved ) {
			onSaved();
		}
	};

	return (
		<form
			className="bkx-video-wizard__credentials"
			noValidate
			onSubmit={ onSubmit }
		>
			{ CREDENTIAL_KEYS[ platform ].map( ( key ) => (
				<div
					key={ key }
					className="bkx-video-admin__setting"
					data-setting={ key }
				>
					<SettingField settingKey={ key } />
				</div>
			) ) }
			{ platform === 'teams' && (
				<div className="bkx-video-admin__setting">
					<TextControl
						label={ __(
							'Test organizer (a provider’s Microsoft 365 e-mail)',
							'bookingx-video-consultation'
						) }
						help={ __(
							'Teams meetings are organized by the provider. The checks look this person up and make the test meeting in their name. It is not saved.',
							'bookingx-video-consultation'
						) }
						type="email"
						autoComplete="off"
						value={ organizerEmail }
						onChange={ ( next: string ) =>
							onOrganizerEmail( next )
						}
					/>
				</div>
			) }
			<div className="bkx-video-admin__actions">
				<Button
					variant="primary"
					type="submit"
					isBusy={ saving }
					disabled={ saving }
				>
					{ saving
						? __( 'Saving…', 'bookingx-video-consultation' )
						: __(
								'Save and continue',
								'bookingx-video-consultation'
							) }
				</Button>
			</div>
		</form>
	);
}

import { Button, Notice } from '@wordpress/components';
import { useSelect } from '@wordpress/data';
import { useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

import { store } from '../store';
import { isAnyPlatformSetUp, readOAuthReturn } from '../wizard/model';
import Wizard from '../wizard/Wizard';
import Notices from './Notices';
import SettingsScreen from './SettingsScreen';
import SidecarStatusPanel from './SidecarStatusPanel';

type View = 'settings' | 'wizard';

export default function App() {
	// Google's redirect back (`?bkx_video_oauth=meet&code=…`) opens the wizard at the Google step.
	const [ oauthReturn ] = useState( () =>
		readOAuthReturn( window.location.search )
	);
	const [ view, setView ] = useState< View >(
		oauthReturn ? 'wizard' : 'settings'
	);
	const { settings, secrets } = useSelect(
		( select ) => ( {
			settings: select( store ).getSettings(),
			secrets: select( store ).getSecrets(),
		} ),
		[]
	);
	const noPlatform =
		settings !== null && ! isAnyPlatformSetUp( settings, secrets );

	return (
		<div className="bkx-video-admin">
			<SidecarStatusPanel />
			<div
				className="bkx-video-admin__views"
				role="group"
				aria-label={ __( 'Screen', 'bookingx-video-consultation' ) }
			>
				<Button
					variant={ view === 'settings' ? 'primary' : 'secondary' }
					aria-pressed={ view === 'settings' }
					onClick={ () => setView( 'settings' ) }
				>
					{ __( 'Settings', 'bookingx-video-consultation' ) }
				</Button>
				<Button
					variant={ view === 'wizard' ? 'primary' : 'secondary' }
					aria-pressed={ view === 'wizard' }
					onClick={ () => setView( 'wizard' ) }
				>
					{ __( 'Setup wizard', 'bookingx-video-consultation' ) }
				</Button>
			</div>
			{ view === 'settings' && noPlatform && (
				<Notice
					status="info"
					isDismissible={ false }
					className="bkx-video-admin__setup-notice"
					actions={ [
						{
							label: __(
								'Start the setup wizard',
								'bookingx-video-consultation'
							),
							onClick: () => setView( 'wizard' ),
							variant: 'primary',
						},
					] }
				>
					<p>
						{ __(
							'No video platform is set up yet. The setup wizard connects Zoom, Microsoft Teams, Google Meet or Jitsi and checks that meetings can be made.',
							'bookingx-video-consultation'
						) }
					</p>
				</Notice>
			) }
			<Notices />
			{ view === 'settings' ? (
				<>
					<h2 className="bkx-video-admin__title">
						{ __( 'Settings', 'bookingx-video-consultation' ) }
					</h2>
					<SettingsScreen />
				</>
			) : (
				<Wizard
					oauthReturn={ oauthReturn }
					onClose={ () => setView( 'settings' ) }
				/>
			) }
		</div>
	);
}

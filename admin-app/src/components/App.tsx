import { __ } from '@wordpress/i18n';

import Notices from './Notices';
import SettingsScreen from './SettingsScreen';
import SidecarStatusPanel from './SidecarStatusPanel';

export default function App() {
	return (
		<div className="bkx-video-admin">
			<SidecarStatusPanel />
			<h2 className="bkx-video-admin__title">
				{ __( 'Settings', 'bookingx-video-consultation' ) }
			</h2>
			<Notices />
			<SettingsScreen />
		</div>
	);
}

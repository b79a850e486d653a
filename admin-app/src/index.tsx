/**
 * Admin app of BookingX Video Consultation: mounts <App/> into #bkx-video-admin.
 *
 * WordPress 6.1 ships React 17 (`render`); newer WordPress has `createRoot`. Feature-detect.
 */
import * as element from '@wordpress/element';
import '@wordpress/notices';

import './store';
import App from './components/App';
import './admin.css';

function mount() {
	const container = document.getElementById( 'bkx-video-admin' );
	if ( ! container ) {
		return;
	}
	const wpElement = element as typeof element & {
		createRoot?: typeof element.createRoot;
	};
	if ( typeof wpElement.createRoot === 'function' ) {
		wpElement.createRoot( container ).render( <App /> );
	} else {
		element.render( <App />, container );
	}
}

if ( document.readyState === 'loading' ) {
	document.addEventListener( 'DOMContentLoaded', mount );
} else {
	mount();
}

/**
 * Translated texts of the setup wizard that depend on a platform or a step (literal `__()` calls,
 * so the strings are extractable).
 */
import { __ } from '@wordpress/i18n';
import type { PlatformCheckResult } from '@bkx-video/contracts';

import type { WizardPlatform, WizardStep } from './model';

export function platformLabel( platform: WizardPlatform ): string {
	switch ( platform ) {
		case 'zoom':
			return __( 'Zoom', 'bookingx-video-consultation' );
		case 'teams':
			return __( 'Microsoft Teams', 'bookingx-video-consultation' );
		case 'meet':
			return __( 'Google Meet', 'bookingx-video-consultation' );
		case 'jitsi':
			return __( 'Jitsi Meet', 'bookingx-video-consultation' );
		case 'webrtc':
			return __( 'Built-in video room', 'bookingx-video-consultation' );
	}
}

export function platformDescription( platform: WizardPlatform ): string {
	switch ( platform ) {
		case 'zoom':
			return __(
				'Needs a Server-to-Server OAuth app from the Zoom App Marketplace.',
				'bookingx-video-consultation'
			);
		case 'teams':
			return __(
				'Needs an app registration in Microsoft Entra and an application access policy for your providers.',
				'bookingx-video-consultation'
			);
		case 'meet':
			return __(
				'Needs an OAuth client in Google Cloud; you then connect a Google account.',
				'bookingx-video-consultation'
			);
		case 'jitsi':
			return __(
				'Your own Jitsi Meet server, optionally with token authentication.',
				'bookingx-video-consultation'
			);
		case 'webrtc':
			return __(
				'A room on your own site, no third-party account; add a TURN server for reliable calls.',
				'bookingx-video-consultation'
			);
	}
}

export function stepTitle( step: WizardStep ): string {
	switch ( step ) {
		case 'credentials':
			return __( 'Enter the credentials', 'bookingx-video-consultation' );
		case 'connect_google':
			return __(
				'Connect a Google account',
				'bookingx-video-consultation'
			);
		case 'connection':
			return __( 'Check the connection', 'bookingx-video-consultation' );
		case 'test_meeting':
			return __(
				'Create and delete a test meeting',
				'bookingx-video-consultation'
			);
		case 'done':
			return __( 'Done', 'bookingx-video-consultation' );
	}
}

/**
 * The translated headline of a check result; the sidecar's sentence (the platform's own words
 * turned into what to do) follows it.
 * @param result
 */
export function resultHeadline( result: PlatformCheckResult ): string {
	if ( result.step === 'connection' ) {
		return result.ok
			? __( 'The connection works.', 'bookingx-video-consultation' )
			: __(
					'The connection check failed.',
					'bookingx-video-consultation'
				);
	}
	return result.ok
		? __(
				'The test meeting was created and deleted.',
				'bookingx-video-consultation'
			)
		: __( 'The test meeting failed.', 'bookingx-video-consultation' );
}

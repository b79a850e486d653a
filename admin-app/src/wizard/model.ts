/**
 * The setup wizard's plain logic (no React, no WordPress): which platforms it sets up, their
 * credential fields and steps, whether a platform looks set up, and reading and cleaning the
 * query Google's OAuth redirect adds to the admin page.
 */
import type { PlatformId, SettingKey } from '@bkx-video/contracts';

import type { PublicSettings, SecretsState } from '../store/types';

export type WizardPlatform = Extract<
	PlatformId,
	'zoom' | 'teams' | 'meet' | 'jitsi' | 'webrtc'
>;

export const WIZARD_PLATFORMS: ReadonlyArray< WizardPlatform > = [
	'zoom',
	'teams',
	'meet',
	'jitsi',
	'webrtc',
];

export type WizardStep =
	'credentials' | 'connect_google' | 'connection' | 'test_meeting' | 'done';

/** The settings each platform's credentials step shows, in order (all from the settings schema). */
export const CREDENTIAL_KEYS: Record<
	WizardPlatform,
	ReadonlyArray< SettingKey >
> = {
	zoom: [
		'zoom_account_id',
		'zoom_client_id',
		'zoom_client_secret',
		'zoom_user_id',
		'zoom_webhook_secret',
	],
	teams: [ 'teams_tenant_id', 'teams_client_id', 'teams_client_secret' ],
	meet: [
		'meet_client_id',
		'meet_client_secret',
		'meet_redirect_uri',
		'meet_calendar_id',
	],
	jitsi: [
		'jitsi_server_url',
		'jitsi_jwt_enabled',
		'jitsi_app_id',
		'jitsi_app_secret',
	],
	webrtc: [
		'webrtc_turn_servers',
		'webrtc_turn_secret',
		'webrtc_force_relay',
		'webrtc_stun_servers',
	],
};

/**
 * The steps after choosing a platform. Google needs the admin's consent before any check.
 * @param platform
 */
export function stepsFor( platform: WizardPlatform ): WizardStep[] {
	return platform === 'meet'
		? [
				'credentials',
				'connect_google',
				'connection',
				'test_meeting',
				'done',
			]
		: [ 'credentials', 'connection', 'test_meeting', 'done' ];
}

/**
 * Whether the saved settings hold a platform's credentials (secrets: only whether they are set).
 * Google's account connection is not in the settings; the wizard checks it itself.
 * @param platform
 * @param settings
 * @param secrets
 */
export function hasCredentials(
	platform: PlatformId,
	settings: PublicSettings,
	secrets: SecretsState
): boolean {
	const set = ( key: keyof SecretsState ) => secrets[ key ]?.is_set === true;
	switch ( platform ) {
		case 'zoom':
			return Boolean(
				settings.zoom_account_id &&
				settings.zoom_client_id &&
				settings.zoom_user_id &&
				set( 'zoom_client_secret' )
			);
		case 'teams':
			return Boolean(
				settings.teams_tenant_id &&
				settings.teams_client_id &&
				set( 'teams_client_secret' )
			);
		case 'meet':
			return Boolean(
				settings.meet_client_id && set( 'meet_client_secret' )
			);
		case 'jitsi':
			return Boolean(
				settings.jitsi_server_url &&
				( ! settings.jitsi_jwt_enabled ||
					( settings.jitsi_app_id && set( 'jitsi_app_secret' ) ) )
			);
		case 'webrtc':
			return true;
	}
}

/**
 * Whether any platform is enabled with its credentials saved; when none is, the admin screen
 * offers the wizard.
 * @param settings
 * @param secrets
 */
export function isAnyPlatformSetUp(
	settings: PublicSettings,
	secrets: SecretsState
): boolean {
	return ( [ 'zoom', 'teams', 'meet', 'jitsi', 'webrtc' ] as const ).some(
		( id ) =>
			settings[ `${ id }_enabled` ] &&
			hasCredentials( id, settings, secrets )
	);
}

/** What Google's redirect back to the admin page carries. */
export type OAuthReturn =
	| { kind: 'code'; code: string; state: string }
	| { kind: 'error'; error: string };

/** Query parameters the OAuth round trip adds; removed from the address bar once read. */
const OAUTH_PARAMS = [
	'bkx_video_oauth',
	'code',
	'state',
	'scope',
	'authuser',
	'prompt',
	'hd',
	'error',
	'error_description',
	'iss',
];

/**
 * Reads `?bkx_video_oauth=meet&code=…&state=…` (or `&error=…` when the admin declined).
 * @param search `window.location.search`
 */
export function readOAuthReturn( search: string ): OAuthReturn | null {
	const params = new URLSearchParams( search );
	if ( params.get( 'bkx_video_oauth' ) !== 'meet' ) {
		return null;
	}
	const error = params.get( 'error' );
	if ( error ) {
		return { kind: 'error', error };
	}
	const code = params.get( 'code' ) ?? '';
	const state = params.get( 'state' ) ?? '';
	if ( ! code || ! state ) {
		return { kind: 'error', error: 'missing_code' };
	}
	return { kind: 'code', code, state };
}

/**
 * The admin page's address without the OAuth query (the code is single-use and must not stay in
 * the history or be bookmarked).
 * @param href `window.location.href`
 */
export function withoutOAuthQuery( href: string ): string {
	const url = new URL( href );
	for ( const name of OAUTH_PARAMS ) {
		url.searchParams.delete( name );
	}
	return url.toString();
}

/** Credentials a platform cannot work without (the webhook secret, redirect URI and calendar are optional). */
const REQUIRED_KEYS: Record< WizardPlatform, ReadonlyArray< SettingKey > > = {
	zoom: [
		'zoom_account_id',
		'zoom_client_id',
		'zoom_client_secret',
		'zoom_user_id',
	],
	teams: [ 'teams_tenant_id', 'teams_client_id', 'teams_client_secret' ],
	meet: [ 'meet_client_id', 'meet_client_secret' ],
	jitsi: [ 'jitsi_server_url' ],
	// Nothing is required: without TURN, people behind strict firewalls may not connect (the check says so).
	webrtc: [],
};

/**
 * The required credentials that are empty: neither typed now nor (for secrets) saved before.
 * @param platform
 * @param value    what the field shows (draft, else saved; secrets: what was typed)
 * @param isSaved  whether a secret is already saved (and not marked for clearing)
 */
export function missingCredentials(
	platform: WizardPlatform,
	value: ( key: SettingKey ) => unknown,
	isSaved: ( key: SettingKey ) => boolean
): SettingKey[] {
	const required: SettingKey[] = [ ...REQUIRED_KEYS[ platform ] ];
	if ( platform === 'jitsi' && value( 'jitsi_jwt_enabled' ) === true ) {
		required.push( 'jitsi_app_id', 'jitsi_app_secret' );
	}
	return required.filter( ( key ) => {
		const v = value( key );
		const typed =
			typeof v === 'string'
				? v.trim() !== ''
				: v !== null && v !== undefined;
		return ! typed && ! isSaved( key );
	} );
}

/**
 * Every setting of spec §6, with the corrections of `reference/platform-contracts.md` §8
 * (Zoom Server-to-Server OAuth instead of the retired JWT app key/secret), grouped as the
 * admin screen shows them.
 *
 * Secrets are write-only: {@link SettingsViewSchema} carries `has_<key>` and a masked tail instead
 * of the value, and {@link SettingsUpdateSchema} treats an absent secret as "keep" and `null` as "clear".
 */
import { z } from 'zod';

import { PlatformIdSchema } from './platform';

const bool = z.boolean();
const optionalUrl = z.union( [ z.literal( '' ), z.url( { protocol: /^https?$/ } ) ] );
const shortText = z.string().trim().max( 255 );
const secret = z.string().max( 2048 );
const iceUrl = z.string().regex( /^(stun|turns?):[^\s]+$/, 'Use a stun:, turn: or turns: address.' );
const ipOrCidr = z
	.string()
	.trim()
	.refine(
		( v ) => z.ipv4().safeParse( v ).success || z.ipv6().safeParse( v ).success ||
			z.cidrv4().safeParse( v ).success || z.cidrv6().safeParse( v ).success,
		'Use an IP address or a CIDR range such as 203.0.113.0/24.'
	);

export const SettingsSchema = z.object( {
	// General
	enabled: bool,
	default_platform: PlatformIdSchema,
	allow_platform_selection: bool,
	auto_create_meetings: bool,
	default_duration: z.number().int().min( 5 ).max( 480 ),
	join_opens_minutes_before: z.number().int().min( 0 ).max( 120 ),
	join_closes_minutes_after: z.number().int().min( 0 ).max( 240 ),
	join_page_path: z.string().trim().regex( /^\/[^\s?#]*$/, 'Use a site path such as /video-consultation/.' ),

	// Zoom (Server-to-Server OAuth; reference §8)
	zoom_enabled: bool,
	zoom_account_id: shortText,
	zoom_client_id: shortText,
	zoom_client_secret: secret,
	zoom_webhook_secret: secret,
	zoom_user_id: shortText,
	zoom_waiting_room: bool,
	zoom_join_before_host: bool,
	zoom_mute_upon_entry: bool,
	zoom_recording: z.enum( [ 'cloud', 'local', 'none' ] ),

	// Microsoft Teams
	teams_enabled: bool,
	teams_tenant_id: shortText,
	teams_client_id: shortText,
	teams_client_secret: secret,
	teams_redirect_uri: optionalUrl,
	teams_allow_pstn_users: bool,

	// Google Meet
	meet_enabled: bool,
	meet_client_id: shortText,
	meet_client_secret: secret,
	meet_redirect_uri: optionalUrl,
	meet_calendar_id: z.string().trim().min( 1 ).max( 255 ),

	// Jitsi (self-hosted, prosody token auth)
	jitsi_enabled: bool,
	jitsi_server_url: z.url( { protocol: /^https?$/ } ),
	jitsi_app_id: shortText,
	jitsi_app_secret: secret,
	jitsi_jwt_enabled: bool,

	// Built-in WebRTC room
	webrtc_enabled: bool,
	webrtc_stun_servers: z.array( iceUrl ).max( 10 ),
	webrtc_turn_servers: z.array( iceUrl ).max( 10 ),
	webrtc_turn_secret: secret,
	webrtc_signaling_server: optionalUrl,
	/** Media only through TURN: participants never see each other's addresses (needs a TURN server). */
	webrtc_force_relay: bool,

	// Meeting
	password_required: bool,
	password_length: z.number().int().min( 4 ).max( 10 ),
	waiting_room_enabled: bool,
	auto_recording: bool,
	recording_type: z.enum( [ 'cloud', 'local' ] ),
	allow_screen_sharing: bool,
	enable_chat: bool,
	no_show_after_minutes: z.number().int().min( 0 ).max( 120 ),
	max_participants: z.number().int().min( 2 ).max( 1000 ),

	// Pre-consultation
	intake_form_enabled: bool,
	intake_form_template: z.string().max( 65535 ),
	document_upload_enabled: bool,
	max_upload_size: z.number().int().min( 1 ).max( 512 ),
	technical_check_enabled: bool,

	// Reminders
	reminder_24h: bool,
	reminder_1h: bool,
	reminder_15min: bool,
	reminder_method: z.enum( [ 'email', 'sms', 'email_sms' ] ),

	// During consultation
	show_timer: bool,
	enable_whiteboard: bool,
	enable_file_sharing: bool,
	live_transcription: bool,
	picture_in_picture: bool,

	// Post-consultation
	auto_send_recording: bool,
	recording_retention_days: z.number().int().min( 1 ).max( 3650 ),
	enable_transcription: bool,
	follow_up_enabled: bool,
	feedback_enabled: bool,

	// Payment
	require_payment_before_join: bool,
	charge_per_minute: bool,
	overage_charges: bool,
	refund_on_no_show: bool,

	// Security
	require_authentication: bool,
	ip_whitelist: z.array( ipOrCidr ).max( 100 ),
	end_meeting_on_host_leave: bool,
	disable_recording_download: bool,
	watermark_enabled: bool,
	/** Keep each participant's IP address with their join (privacy: off unless the site needs it). */
	store_participant_ip: bool,
} );
export type Settings = z.infer< typeof SettingsSchema >;
export type SettingKey = keyof Settings;

/** Spec §6 defaults (Zoom key/secret replaced by S2S fields, empty). */
export const DEFAULT_SETTINGS: Settings = {
	enabled: true,
	default_platform: 'zoom',
	allow_platform_selection: false,
	auto_create_meetings: true,
	default_duration: 30,
	join_opens_minutes_before: 10,
	join_closes_minutes_after: 30,
	join_page_path: '/video-consultation/',

	zoom_enabled: true,
	zoom_account_id: '',
	zoom_client_id: '',
	zoom_client_secret: '',
	zoom_webhook_secret: '',
	zoom_user_id: '',
	zoom_waiting_room: true,
	zoom_join_before_host: false,
	zoom_mute_upon_entry: true,
	zoom_recording: 'cloud',

	teams_enabled: false,
	teams_tenant_id: '',
	teams_client_id: '',
	teams_client_secret: '',
	teams_redirect_uri: '',
	teams_allow_pstn_users: false,

	meet_enabled: false,
	meet_client_id: '',
	meet_client_secret: '',
	meet_redirect_uri: '',
	meet_calendar_id: 'primary',

	jitsi_enabled: false,
	jitsi_server_url: 'https://meet.jit.si',
	jitsi_app_id: '',
	jitsi_app_secret: '',
	jitsi_jwt_enabled: true,

	webrtc_enabled: false,
	webrtc_stun_servers: [ 'stun:stun.l.google.com:19302' ],
	webrtc_turn_servers: [],
	webrtc_turn_secret: '',
	webrtc_signaling_server: '',
	webrtc_force_relay: false,

	password_required: true,
	password_length: 6,
	waiting_room_enabled: true,
	auto_recording: true,
	recording_type: 'cloud',
	allow_screen_sharing: true,
	enable_chat: true,
	max_participants: 100,
	no_show_after_minutes: 15,

	intake_form_enabled: true,
	intake_form_template: '',
	document_upload_enabled: true,
	max_upload_size: 10,
	technical_check_enabled: true,

	reminder_24h: true,
	reminder_1h: true,
	reminder_15min: true,
	reminder_method: 'email_sms',

	show_timer: true,
	enable_whiteboard: true,
	enable_file_sharing: true,
	live_transcription: false,
	picture_in_picture: true,

	auto_send_recording: true,
	recording_retention_days: 30,
	enable_transcription: false,
	follow_up_enabled: true,
	feedback_enabled: true,

	require_payment_before_join: false,
	charge_per_minute: false,
	overage_charges: false,
	refund_on_no_show: true,

	require_authentication: true,
	ip_whitelist: [],
	end_meeting_on_host_leave: false,
	disable_recording_download: false,
	watermark_enabled: false,
	store_participant_ip: false,
};

/** Write-only settings: encrypted at rest, never returned to a browser, never logged. */
export const SECRET_SETTING_KEYS = [
	'zoom_client_secret',
	'zoom_webhook_secret',
	'teams_client_secret',
	'meet_client_secret',
	'jitsi_app_secret',
	'webrtc_turn_secret',
] as const satisfies ReadonlyArray< SettingKey >;
export type SecretSettingKey = ( typeof SECRET_SETTING_KEYS )[ number ];

export function isSecretSettingKey( key: string ): key is SecretSettingKey {
	return ( SECRET_SETTING_KEYS as ReadonlyArray< string > ).includes( key );
}

/** How a secret is shown: whether it is set and its last 4 characters ("••••abcd"). */
export const SecretStateSchema = z.object( {
	is_set: z.boolean(),
	tail: z.string().max( 4 ),
} );
export type SecretState = z.infer< typeof SecretStateSchema >;

const publicShape = SettingsSchema.omit(
	Object.fromEntries( SECRET_SETTING_KEYS.map( ( k ) => [ k, true ] ) ) as { [ K in SecretSettingKey ]: true }
);

/** What GET /settings returns: every non-secret value plus the state of each secret. */
export const SettingsViewSchema = z.object( {
	settings: publicShape,
	secrets: z.record( z.enum( SECRET_SETTING_KEYS ), SecretStateSchema ),
} );
export type SettingsView = z.infer< typeof SettingsViewSchema >;

/**
 * PUT /settings body: any subset of settings. For secrets, a string sets the value, `null`
 * clears it and an absent key keeps it. Unknown keys are rejected (a typo must not pass silently).
 */
export const SettingsUpdateSchema = SettingsSchema.partial()
	.extend(
		Object.fromEntries( SECRET_SETTING_KEYS.map( ( k ) => [ k, secret.min( 1 ).nullable().optional() ] ) ) as {
			[ K in SecretSettingKey ]: z.ZodOptional< z.ZodNullable< z.ZodString > >;
		}
	)
	.strict();
export type SettingsUpdate = z.infer< typeof SettingsUpdateSchema >;

/** Groups and their keys, in the order the admin screen shows them. */
export const SETTING_GROUPS: ReadonlyArray< { id: string; keys: ReadonlyArray< SettingKey > } > = [
	{ id: 'general', keys: [ 'enabled', 'default_platform', 'allow_platform_selection', 'auto_create_meetings', 'default_duration', 'join_opens_minutes_before', 'join_closes_minutes_after', 'join_page_path' ] },
	{ id: 'zoom', keys: [ 'zoom_enabled', 'zoom_account_id', 'zoom_client_id', 'zoom_client_secret', 'zoom_webhook_secret', 'zoom_user_id', 'zoom_waiting_room', 'zoom_join_before_host', 'zoom_mute_upon_entry', 'zoom_recording' ] },
	{ id: 'teams', keys: [ 'teams_enabled', 'teams_tenant_id', 'teams_client_id', 'teams_client_secret', 'teams_redirect_uri', 'teams_allow_pstn_users' ] },
	{ id: 'meet', keys: [ 'meet_enabled', 'meet_client_id', 'meet_client_secret', 'meet_redirect_uri', 'meet_calendar_id' ] },
	{ id: 'jitsi', keys: [ 'jitsi_enabled', 'jitsi_server_url', 'jitsi_app_id', 'jitsi_app_secret', 'jitsi_jwt_enabled' ] },
	{ id: 'webrtc', keys: [ 'webrtc_enabled', 'webrtc_stun_servers', 'webrtc_turn_servers', 'webrtc_turn_secret', 'webrtc_signaling_server', 'webrtc_force_relay' ] },
	{ id: 'meeting', keys: [ 'password_required', 'password_length', 'waiting_room_enabled', 'auto_recording', 'recording_type', 'allow_screen_sharing', 'enable_chat', 'max_participants', 'no_show_after_minutes' ] },
	{ id: 'pre_consultation', keys: [ 'intake_form_enabled', 'intake_form_template', 'document_upload_enabled', 'max_upload_size', 'technical_check_enabled' ] },
	{ id: 'reminders', keys: [ 'reminder_24h', 'reminder_1h', 'reminder_15min', 'reminder_method' ] },
	{ id: 'during', keys: [ 'show_timer', 'enable_whiteboard', 'enable_file_sharing', 'live_transcription', 'picture_in_picture' ] },
	{ id: 'post_consultation', keys: [ 'auto_send_recording', 'recording_retention_days', 'enable_transcription', 'follow_up_enabled', 'feedback_enabled' ] },
	{ id: 'payment', keys: [ 'require_payment_before_join', 'charge_per_minute', 'overage_charges', 'refund_on_no_show' ] },
	{ id: 'security', keys: [ 'require_authentication', 'ip_whitelist', 'end_meeting_on_host_leave', 'disable_recording_download', 'watermark_enabled', 'store_participant_ip' ] },
];

/**
 * Human labels, help texts and control types of every setting, and the tab titles of the groups.
 */
import { __ } from '@wordpress/i18n';
import type { SettingKey } from '@bkx-video/contracts';

export type FieldType =
	'boolean' | 'enum' | 'number' | 'text' | 'secret' | 'list' | 'textarea';

export interface FieldOption {
	value: string;
	label: string;
}

export interface FieldDef {
	label: string;
	help?: string;
	type: FieldType;
	/** For `enum`. */
	options?: FieldOption[];
	/** For `list`: a translated message for a line that does not match. */
	invalidItem?: string;
	/** For text fields that follow a pattern: a translated message when it does not. */
	invalidFormat?: string;
	/** Input type for text fields. */
	inputType?: 'text' | 'url';
	/** Unit shown after number fields' labels in help. */
	unit?: string;
}

function platformOptions(): FieldOption[] {
	return [
		{ value: 'zoom', label: __( 'Zoom', 'bookingx-video-consultation' ) },
		{
			value: 'teams',
			label: __( 'Microsoft Teams', 'bookingx-video-consultation' ),
		},
		{
			value: 'meet',
			label: __( 'Google Meet', 'bookingx-video-consultation' ),
		},
		{
			value: 'jitsi',
			label: __( 'Jitsi Meet', 'bookingx-video-consultation' ),
		},
		{
			value: 'webrtc',
			label: __( 'Built-in video room', 'bookingx-video-consultation' ),
		},
	];
}

function urlField( label: string, help: string ): FieldDef {
	return {
		label,
		help,
		type: 'text',
		inputType: 'url',
		invalidFormat: __(
			'Enter a full web address starting with https:// (or leave it empty).',
			'bookingx-video-consultation'
		),
	};
}

function iceList( label: string, help: string ): FieldDef {
	return {
		label,
		help,
		type: 'list',
		invalidItem: __(
			'Use a stun:, turn: or turns: address such as stun:stun.example.com:3478.',
			'bookingx-video-consultation'
		),
	};
}

let cache: Record< SettingKey, FieldDef > | null = null;

/** Every setting key → how the screen shows it. */
export function getSettingFields(): Record< SettingKey, FieldDef > {
	if ( cache ) {
		return cache;
	}
	const fields = {
		// General
		enabled: {
			label: __(
				'Enable video consultations',
				'bookingx-video-consultation'
			),
			help: __(
				'Turn video consultations on for services marked as video services.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		default_platform: {
			label: __( 'Default platform', 'bookingx-video-consultation' ),
			help: __(
				'The platform used for a new consultation unless its service chooses another.',
				'bookingx-video-consultation'
			),
			type: 'enum',
			options: platformOptions(),
		},
		allow_platform_selection: {
			label: __(
				'Let customers choose the platform',
				'bookingx-video-consultation'
			),
			help: __(
				'Customers pick one of the enabled platforms when they book.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		auto_create_meetings: {
			label: __(
				'Create meetings automatically',
				'bookingx-video-consultation'
			),
			help: __(
				'Create the meeting as soon as a booking of a video service is saved.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		default_duration: {
			label: __(
				'Default duration (minutes)',
				'bookingx-video-consultation'
			),
			help: __(
				'Used when a booking has no end time. Between 5 and 480 minutes.',
				'bookingx-video-consultation'
			),
			type: 'number',
		},
		join_opens_minutes_before: {
			label: __(
				'Join opens (minutes before start)',
				'bookingx-video-consultation'
			),
			help: __(
				'How early participants may join. Between 0 and 120 minutes.',
				'bookingx-video-consultation'
			),
			type: 'number',
		},
		join_closes_minutes_after: {
			label: __(
				'Join closes (minutes after end)',
				'bookingx-video-consultation'
			),
			help: __(
				'How long after the scheduled end participants may still join. Between 0 and 240 minutes.',
				'bookingx-video-consultation'
			),
			type: 'number',
		},
		join_page_path: {
			label: __( 'Join page path', 'bookingx-video-consultation' ),
			help: __(
				'The page holding the Join block; invitation links point to it.',
				'bookingx-video-consultation'
			),
			type: 'text',
			invalidFormat: __(
				'Use a site path such as /video-consultation/.',
				'bookingx-video-consultation'
			),
		},

		// Zoom
		zoom_enabled: {
			label: __( 'Enable Zoom', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		zoom_account_id: {
			label: __( 'Zoom account ID', 'bookingx-video-consultation' ),
			help: __(
				'From your Server-to-Server OAuth app in the Zoom App Marketplace.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},
		zoom_client_id: {
			label: __( 'Zoom client ID', 'bookingx-video-consultation' ),
			help: __(
				'From the same Server-to-Server OAuth app.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},
		zoom_client_secret: {
			label: __( 'Zoom client secret', 'bookingx-video-consultation' ),
			type: 'secret',
		},
		zoom_webhook_secret: {
			label: __(
				'Zoom webhook secret token',
				'bookingx-video-consultation'
			),
			help: __(
				'Used to verify the meeting events Zoom sends to this site.',
				'bookingx-video-consultation'
			),
			type: 'secret',
		},
		zoom_user_id: {
			label: __( 'Zoom host user', 'bookingx-video-consultation' ),
			help: __(
				'The Zoom user (e-mail or user ID) that hosts the meetings. Leave empty for the account owner.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},
		zoom_waiting_room: {
			label: __( 'Zoom waiting room', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		zoom_join_before_host: {
			label: __(
				'Allow joining before the host',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		zoom_mute_upon_entry: {
			label: __(
				'Mute participants when they join',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		zoom_recording: {
			label: __( 'Zoom recording', 'bookingx-video-consultation' ),
			type: 'enum',
			options: [
				{
					value: 'cloud',
					label: __( 'Cloud', 'bookingx-video-consultation' ),
				},
				{
					value: 'local',
					label: __( 'Local', 'bookingx-video-consultation' ),
				},
				{
					value: 'none',
					label: __( 'None', 'bookingx-video-consultation' ),
				},
			],
		},

		// Microsoft Teams
		teams_enabled: {
			label: __(
				'Enable Microsoft Teams',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		teams_tenant_id: {
			label: __( 'Teams tenant ID', 'bookingx-video-consultation' ),
			help: __(
				'The directory (tenant) ID of your Microsoft Entra app.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},
		teams_client_id: {
			label: __( 'Teams client ID', 'bookingx-video-consultation' ),
			help: __(
				'The application (client) ID of your Microsoft Entra app.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},
		teams_client_secret: {
			label: __( 'Teams client secret', 'bookingx-video-consultation' ),
			type: 'secret',
		},
		teams_redirect_uri: urlField(
			__( 'Teams redirect URI', 'bookingx-video-consultation' ),
			__(
				'Must match the redirect URI registered in the Entra app.',
				'bookingx-video-consultation'
			)
		),
		teams_allow_pstn_users: {
			label: __(
				'Let phone (PSTN) users bypass the lobby',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},

		// Google Meet
		meet_enabled: {
			label: __( 'Enable Google Meet', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		meet_client_id: {
			label: __( 'Google client ID', 'bookingx-video-consultation' ),
			help: __(
				'From your Google Cloud OAuth client.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},
		meet_client_secret: {
			label: __( 'Google client secret', 'bookingx-video-consultation' ),
			type: 'secret',
		},
		meet_redirect_uri: urlField(
			__( 'Google redirect URI', 'bookingx-video-consultation' ),
			__(
				'Must match an authorized redirect URI of the OAuth client.',
				'bookingx-video-consultation'
			)
		),
		meet_calendar_id: {
			label: __( 'Google calendar ID', 'bookingx-video-consultation' ),
			help: __(
				'The calendar that holds the meeting events; "primary" is the connected account’s own calendar.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},

		// Jitsi
		jitsi_enabled: {
			label: __( 'Enable Jitsi', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		jitsi_server_url: {
			label: __( 'Jitsi server URL', 'bookingx-video-consultation' ),
			help: __(
				'Your Jitsi Meet server, such as https://meet.example.com.',
				'bookingx-video-consultation'
			),
			type: 'text',
			inputType: 'url',
			invalidFormat: __(
				'Enter a full web address starting with https://.',
				'bookingx-video-consultation'
			),
		},
		jitsi_app_id: {
			label: __( 'Jitsi app ID', 'bookingx-video-consultation' ),
			help: __(
				'The app ID of the Prosody token authentication.',
				'bookingx-video-consultation'
			),
			type: 'text',
		},
		jitsi_app_secret: {
			label: __( 'Jitsi app secret', 'bookingx-video-consultation' ),
			type: 'secret',
		},
		jitsi_jwt_enabled: {
			label: __(
				'Sign Jitsi room links (JWT)',
				'bookingx-video-consultation'
			),
			help: __(
				'Needs the app ID and app secret of your server’s token authentication.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},

		// Built-in WebRTC room
		webrtc_enabled: {
			label: __(
				'Enable the built-in room',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		webrtc_stun_servers: iceList(
			__( 'STUN servers', 'bookingx-video-consultation' ),
			__(
				'One per line, such as stun:stun.l.google.com:19302. At most 10.',
				'bookingx-video-consultation'
			)
		),
		webrtc_turn_servers: iceList(
			__( 'TURN servers', 'bookingx-video-consultation' ),
			__(
				'One per line, such as turns:turn.example.com:5349. At most 10.',
				'bookingx-video-consultation'
			)
		),
		webrtc_turn_secret: {
			label: __( 'TURN shared secret', 'bookingx-video-consultation' ),
			help: __(
				'The static-auth-secret of your TURN server, used to issue short-lived credentials.',
				'bookingx-video-consultation'
			),
			type: 'secret',
		},
		webrtc_signaling_server: urlField(
			__( 'Signaling server URL', 'bookingx-video-consultation' ),
			__(
				'Leave empty to use the sidecar.',
				'bookingx-video-consultation'
			)
		),
		webrtc_force_relay: {
			label: __(
				'Send all media through TURN',
				'bookingx-video-consultation'
			),
			help: __(
				"Participants never learn each other's network addresses. Needs a TURN server above; calls use its bandwidth.",
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},

		// Meeting
		password_required: {
			label: __(
				'Require a meeting password',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		password_length: {
			label: __( 'Password length', 'bookingx-video-consultation' ),
			help: __(
				'Between 4 and 10 characters.',
				'bookingx-video-consultation'
			),
			type: 'number',
		},
		waiting_room_enabled: {
			label: __( 'Waiting room', 'bookingx-video-consultation' ),
			help: __(
				'Participants wait until the host lets them in.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		auto_recording: {
			label: __( 'Record automatically', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		recording_type: {
			label: __( 'Recording type', 'bookingx-video-consultation' ),
			type: 'enum',
			options: [
				{
					value: 'cloud',
					label: __( 'Cloud', 'bookingx-video-consultation' ),
				},
				{
					value: 'local',
					label: __( 'Local', 'bookingx-video-consultation' ),
				},
			],
		},
		allow_screen_sharing: {
			label: __( 'Allow screen sharing', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		enable_chat: {
			label: __( 'Enable chat', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		no_show_after_minutes: {
			label: __(
				'No-show after (minutes)',
				'bookingx-video-consultation'
			),
			help: __(
				'A consultation counts as a no-show when the customer (or the provider) has not joined this many minutes after the start. Needs to know who joined: Zoom with its webhook, Teams, or Jitsi with signed room links; never Google Meet. 0 turns the check off.',
				'bookingx-video-consultation'
			),
			type: 'number',
		},
		max_participants: {
			label: __( 'Maximum participants', 'bookingx-video-consultation' ),
			help: __( 'Between 2 and 1000.', 'bookingx-video-consultation' ),
			type: 'number',
		},

		// Before the consultation
		intake_form_enabled: {
			label: __( 'Intake form', 'bookingx-video-consultation' ),
			help: __(
				'Ask customers to fill in a form before the consultation.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		intake_form_template: {
			label: __( 'Intake form template', 'bookingx-video-consultation' ),
			help: __(
				'The questions of the intake form. Leave empty for the default form.',
				'bookingx-video-consultation'
			),
			type: 'textarea',
		},
		document_upload_enabled: {
			label: __( 'Document upload', 'bookingx-video-consultation' ),
			help: __(
				'Let customers upload documents before the consultation.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		max_upload_size: {
			label: __(
				'Maximum upload size (MB)',
				'bookingx-video-consultation'
			),
			help: __( 'Between 1 and 512 MB.', 'bookingx-video-consultation' ),
			type: 'number',
		},
		technical_check_enabled: {
			label: __( 'Technical check', 'bookingx-video-consultation' ),
			help: __(
				'Offer a camera, microphone and connection test before joining.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},

		// Reminders
		reminder_24h: {
			label: __(
				'Reminder 24 hours before',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		reminder_1h: {
			label: __(
				'Reminder 1 hour before',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		reminder_15min: {
			label: __(
				'Reminder 15 minutes before',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		reminder_method: {
			label: __( 'Reminder method', 'bookingx-video-consultation' ),
			type: 'enum',
			options: [
				{
					value: 'email',
					label: __( 'E-mail', 'bookingx-video-consultation' ),
				},
				{
					value: 'sms',
					label: __( 'SMS', 'bookingx-video-consultation' ),
				},
				{
					value: 'email_sms',
					label: __(
						'E-mail and SMS',
						'bookingx-video-consultation'
					),
				},
			],
		},

		// During
		show_timer: {
			label: __( 'Show a timer', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		enable_whiteboard: {
			label: __( 'Enable the whiteboard', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		enable_file_sharing: {
			label: __( 'Enable file sharing', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		live_transcription: {
			label: __( 'Live transcription', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		picture_in_picture: {
			label: __( 'Picture in picture', 'bookingx-video-consultation' ),
			type: 'boolean',
		},

		// After
		auto_send_recording: {
			label: __(
				'Send the recording automatically',
				'bookingx-video-consultation'
			),
			help: __(
				'E-mail the customer a link to the recording once it is ready.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		recording_retention_days: {
			label: __(
				'Keep recordings for (days)',
				'bookingx-video-consultation'
			),
			help: __(
				'Between 1 and 3650 days.',
				'bookingx-video-consultation'
			),
			type: 'number',
		},
		enable_transcription: {
			label: __( 'Transcribe recordings', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		follow_up_enabled: {
			label: __( 'Follow-up e-mail', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		feedback_enabled: {
			label: __( 'Ask for feedback', 'bookingx-video-consultation' ),
			type: 'boolean',
		},

		// Payments
		require_payment_before_join: {
			label: __(
				'Require payment before joining',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		charge_per_minute: {
			label: __( 'Charge per minute', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		overage_charges: {
			label: __( 'Charge for overtime', 'bookingx-video-consultation' ),
			type: 'boolean',
		},
		refund_on_no_show: {
			label: __(
				'Refund when the host does not show up',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},

		// Security
		require_authentication: {
			label: __( 'Require login to join', 'bookingx-video-consultation' ),
			help: __(
				'When off, customers can also join with the link from their invitation.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		ip_whitelist: {
			label: __( 'Allowed IP addresses', 'bookingx-video-consultation' ),
			help: __(
				'One IP address or CIDR range per line, such as 203.0.113.0/24. Leave empty to allow all.',
				'bookingx-video-consultation'
			),
			type: 'list',
			invalidItem: __(
				'Use an IP address or a CIDR range such as 203.0.113.0/24.',
				'bookingx-video-consultation'
			),
		},
		end_meeting_on_host_leave: {
			label: __(
				'End the meeting when the host leaves',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		disable_recording_download: {
			label: __(
				'Disable recording downloads',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		watermark_enabled: {
			label: __( 'Watermark', 'bookingx-video-consultation' ),
			help: __(
				'Overlay the participant’s name on the video.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
		store_participant_ip: {
			label: __(
				'Store participants’ IP addresses',
				'bookingx-video-consultation'
			),
			help: __(
				'Keep the IP address of each person who joins with their attendance record. Off by default: turn it on only if you need it and your privacy policy says so.',
				'bookingx-video-consultation'
			),
			type: 'boolean',
		},
	} satisfies Record< SettingKey, FieldDef >;
	cache = fields;
	return fields;
}

/**
 * Tab titles of SETTING_GROUPS ids.
 * @param id
 */
export function getGroupTitle( id: string ): string {
	switch ( id ) {
		case 'general':
			return __( 'General', 'bookingx-video-consultation' );
		case 'zoom':
			return __( 'Zoom', 'bookingx-video-consultation' );
		case 'teams':
			return __( 'Microsoft Teams', 'bookingx-video-consultation' );
		case 'meet':
			return __( 'Google Meet', 'bookingx-video-consultation' );
		case 'jitsi':
			return __( 'Jitsi', 'bookingx-video-consultation' );
		case 'webrtc':
			return __( 'Built-in room', 'bookingx-video-consultation' );
		case 'meeting':
			return __( 'Meeting', 'bookingx-video-consultation' );
		case 'pre_consultation':
			return __(
				'Before the consultation',
				'bookingx-video-consultation'
			);
		case 'reminders':
			return __( 'Reminders', 'bookingx-video-consultation' );
		case 'during':
			return __( 'During', 'bookingx-video-consultation' );
		case 'post_consultation':
			return __( 'After', 'bookingx-video-consultation' );
		case 'payment':
			return __( 'Payments', 'bookingx-video-consultation' );
		case 'security':
			return __( 'Security', 'bookingx-video-consultation' );
		default:
			return id;
	}
}

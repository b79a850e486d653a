import { DEFAULT_SETTINGS, SECRET_SETTING_KEYS } from '@bkx-video/contracts';
import type { ConsultationView, JoinResponse, SettingsView, SidecarStatus } from '@bkx-video/contracts';

export const TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd';

export const view: ConsultationView = {
	id: 7,
	booking_id: 42,
	status: 'scheduled',
	platform: 'jitsi',
	scheduled_start: '2030-01-01T10:00:00.000Z',
	scheduled_end: '2030-01-01T10:30:00.000Z',
	duration_minutes: 30,
	join_opens_at: '2030-01-01T09:50:00.000Z',
	join_closes_at: '2030-01-01T11:00:00.000Z',
	state: 'too_early',
	provider_name: 'Dr. Ada Lovelace',
	service_name: 'Follow-up',
	viewer_role: 'customer',
	server_time: '2030-01-01T09:45:00.000Z',
};

export const joinResponse: JoinResponse = {
	join_url: 'https://meet.example.test/room-7?jwt=abc',
	platform: 'jitsi',
	role: 'participant',
	expires_at: null,
};

const publicSettings: Record< string, unknown > = { ...DEFAULT_SETTINGS };
for ( const key of SECRET_SETTING_KEYS ) {
	delete publicSettings[ key ];
}
export const settingsView = {
	settings: publicSettings,
	secrets: Object.fromEntries( SECRET_SETTING_KEYS.map( ( k ) => [ k, { is_set: false, tail: '' } ] ) ),
} as unknown as SettingsView;

export const status: SidecarStatus = {
	version: '0.1.0',
	migrations: { current: '202511220900-create-video-consultations', pending: [] },
	outbox_backlog: 0,
	platform_health: [],
	failovers: [],
	time: '2030-01-01T09:45:00.000Z',
};

/**
 * Table names. Every table carries the WordPress prefix (BRIEF §4); ours add `bkx_video_`.
 */
export interface Tables {
	consultations: string;
	participants: string;
	recordings: string;
	intakeForms: string;
	sessionNotes: string;
	platforms: string;
	settings: string;
	events: string;
	jobs: string;
	webhookEvents: string;
	accessTokens: string;
	auditLog: string;
	platformHealth: string;
	/** Graph subscriptions to our Teams meetings' call events. */
	teamsSubscriptions: string;
	/** Files shared in the built-in room. */
	roomFiles: string;
	/** Who agreed to be recorded in the built-in room, and when. */
	recordingConsents: string;
	migrations: string;
	migrationsLock: string;
	// WordPress's own tables (read only).
	posts: string;
	postmeta: string;
	options: string;
	users: string;
	usermeta: string;
}

export function tableNames( prefix: string ): Tables {
	const ours = ( name: string ) => `${ prefix }bkx_video_${ name }`;
	return {
		consultations: ours( 'consultations' ),
		participants: ours( 'participants' ),
		recordings: ours( 'recordings' ),
		intakeForms: ours( 'intake_forms' ),
		sessionNotes: ours( 'session_notes' ),
		platforms: ours( 'platforms' ),
		settings: ours( 'settings' ),
		events: ours( 'events' ),
		jobs: ours( 'jobs' ),
		webhookEvents: ours( 'webhook_events' ),
		accessTokens: ours( 'access_tokens' ),
		auditLog: ours( 'audit_log' ),
		platformHealth: ours( 'platform_health' ),
		teamsSubscriptions: ours( 'teams_subscriptions' ),
		roomFiles: ours( 'room_files' ),
		recordingConsents: ours( 'recording_consents' ),
		migrations: ours( 'migrations' ),
		migrationsLock: ours( 'migrations_lock' ),
		posts: `${ prefix }posts`,
		postmeta: `${ prefix }postmeta`,
		options: `${ prefix }options`,
		users: `${ prefix }users`,
		usermeta: `${ prefix }usermeta`,
	};
}

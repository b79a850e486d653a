/**
 * The one interface every platform adapter implements (BRIEF §5, style.md §4).
 *
 * Every method is required; a missing feature is declared in `capabilities` and returns a typed
 * empty result. Adapters throw {@link PlatformError}; `services/booking-sync.ts` decides what to do.
 */
import type { PlatformId, Settings } from '@bkx-video/contracts';

export interface PlatformCapabilities {
	recordings: boolean;
	waitingRoom: boolean;
	passwords: boolean;
	/** Whether meetings live on a remote service (and can drift from ours). */
	remote: boolean;
	maxParticipants: number;
}

export interface MeetingInput {
	/** Our consultation key; stable for the booking (used for idempotent creates). */
	bookingId: number;
	topic: string;
	start: Date;
	end: Date;
	timezone: string;
	host: { id: number; name: string; email: string };
	password: string | null;
	waitingRoom: boolean;
	/**
	 * Stable per site, never secret: keeps ids we choose on a shared platform account apart when
	 * two sites use it (Teams `externalId`). Absent: the adapter derives one from its credentials.
	 */
	siteKey?: string;
}

export interface MeetingRecord {
	meetingId: string;
	/** The meeting's base URL; it carries no per-user credential and may be stored. */
	joinUrl: string;
	hostUrl: string | null;
	password: string | null;
	dialInNumbers: string[];
	/** As the platform has it (remote platforms), to detect drift. */
	start?: Date;
	durationMinutes?: number;
}

/** A file of a platform's cloud recording, as `listRecordings` and the recording webhooks give it. */
export interface RemoteRecordingFile {
	/** The platform's id of the file (unique per recording). */
	id: string;
	/** The meeting instance it belongs to (Zoom's meeting uuid). */
	instance: string;
	/** MP4, M4A, TRANSCRIPT… as the platform names it. */
	fileType: string;
	recordingType: string | null;
	/** Announced size in bytes, when the platform gives one. */
	size: number | null;
	downloadUrl: string;
	/** Bearer credential for `downloadUrl` (Zoom: `download_access_token`). */
	downloadToken: string | null;
	status: string | null;
}

export interface JoinParticipant {
	role: 'host' | 'participant';
	user: { id: string; name: string; email: string };
	/** The guest's personal link token, when they came with one (a room page on the site needs it again). */
	accessToken?: string;
}

export interface JoinLink {
	url: string;
	expiresAt: Date | null;
}

export interface VideoPlatform {
	readonly id: PlatformId;
	readonly capabilities: PlatformCapabilities;
	createMeeting( input: MeetingInput ): Promise< MeetingRecord >;
	updateMeeting( meeting: MeetingRecord, input: MeetingInput ): Promise< MeetingRecord >;
	deleteMeeting( meeting: MeetingRecord ): Promise< void >;
	getMeetingDetails( meeting: MeetingRecord ): Promise< MeetingRecord | null >;
	/** A per-person link minted at click time (never stored). */
	getJoinUrl( meeting: MeetingRecord, participant: JoinParticipant, validUntil: Date ): Promise< JoinLink >;
	/**
	 * The platform's recording files of the meeting (or of one `instance` of it), each with a fresh
	 * download credential; empty where the platform keeps none for us (see `capabilities`).
	 */
	listRecordings( meeting: MeetingRecord, instance?: string ): Promise< RemoteRecordingFile[] >;
	/** Token + one harmless read; resolves with a sentence for the admin. @throws PlatformError */
	verifyConnection( probe: { organizerEmail?: string } ): Promise< { detail: string } >;
}

/** What every adapter gets besides the settings: shared per sidecar instance. */
export interface PlatformEnv {
	clock: () => Date;
	/** Access tokens shared by all adapters of this instance (platforms/_shared/oauth-tokens.ts). */
	tokens: import( './_shared/oauth-tokens' ).TokenCache;
	/** Vendor base URLs (configurable so local fakes can stand in). */
	urls: {
		zoomApi: string;
		zoomOauth: string;
		graphApi: string;
		msLogin: string;
		/** Google's consent page, token, revoke and Calendar v3 base (reference §3). */
		googleOauth: string;
		googleToken: string;
		googleRevoke: string;
		googleCalendar: string;
		/** The WordPress site (the built-in room's page is `/?bkx_video_room=<room>` there). */
		site: string;
		/** The sidecar's public URL as ws:// or wss://; a room's signaling is `<this>/rooms/<room>/signal`. */
		roomSignaling: string;
	};
	/** Per-request timeout for vendor calls. */
	timeoutMs: number;
	/** OAuth grants an admin gave by consent (Google Meet); absent = none can be loaded. */
	grants?: PlatformGrants;
}

/** A stored OAuth grant, decrypted: only adapters and the OAuth service see it. */
export interface PlatformGrant {
	refreshToken: string;
	/** The OAuth client that obtained it; a grant of another client is useless. */
	clientId: string;
	/** The account it was given by (e-mail or calendar id), when known. */
	account: string | null;
	/** Stable per site and platform, never secret: keeps client-chosen ids apart (Meet event ids). */
	idPrefix: string;
}

/** Where adapters read the grants (repositories/platforms-repository.ts). */
export interface PlatformGrants {
	load( platform: PlatformId ): Promise< PlatformGrant | null >;
	/** The vendor rotated the refresh token: keep the new one (only if `previous` is still stored). */
	replaceRefreshToken( platform: PlatformId, previous: string, next: string ): Promise< void >;
}

export interface PlatformDeps extends PlatformEnv {
	settings: Settings;
}

export type VideoPlatformFactory = ( deps: PlatformDeps ) => VideoPlatform;

export type PlatformErrorCode = 'not_configured' | 'unauthorized' | 'rejected' | 'unavailable' | 'rate_limited' | 'not_found';

export class PlatformError extends Error {
	override name = 'PlatformError';
	constructor(
		readonly code: PlatformErrorCode,
		message: string,
		options: { cause?: unknown; retryAfterSeconds?: number; status?: number; vendorCode?: unknown; transport?: boolean } = {}
	) {
		super( message, { cause: options.cause } );
		this.retryAfterSeconds = options.retryAfterSeconds;
		this.status = options.status;
		this.vendorCode = options.vendorCode;
		this.transport = options.transport ?? false;
	}
	readonly retryAfterSeconds: number | undefined;
	/** The vendor's HTTP status, when it answered. */
	readonly status: number | undefined;
	/** The vendor's own error code (Zoom's 3001, 124…), when it sent one. */
	readonly vendorCode: unknown;
	/** True when the request left but no answer came back: it may have been applied anyway. */
	readonly transport: boolean;
}

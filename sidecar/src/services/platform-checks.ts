/**
 * The setup wizard's checks of one platform, run against the saved settings:
 * - `connection`: the adapter's `verifyConnection` (a token for exactly these credentials and one
 *   harmless read);
 * - `test_meeting`: a meeting about a day ahead, deleted again at once.
 *
 * A vendor refusal is a result (`ok: false` with the adapter's sentence for the admin), not an
 * error: the adapters already say what is wrong and how to fix it. Each run is audit-logged.
 */
import {
	PLATFORM_LABELS,
	TEST_MEETING_TOPIC,
	type PlatformCheckBody,
	type PlatformCheckDetails,
	type PlatformCheckResult,
	type PlatformId,
} from '@bkx-video/contracts';
import type { FastifyBaseLogger } from 'fastify';

import { createTokenCache } from '../platforms/_shared/oauth-tokens';
import { createPlatform } from '../platforms/registry';
import { PlatformError, type MeetingInput, type PlatformEnv, type PlatformGrants, type VideoPlatform } from '../platforms/video-platform';
import type { AuditLogRepository } from '../repositories/audit-log-repository';
import type { SettingsService } from './settings-service';

export interface PlatformChecksDeps {
	settings: SettingsService;
	audit: AuditLogRepository;
	/** Vendor base URLs and timeout (config); every run gets its own token cache. */
	urls: PlatformEnv[ 'urls' ];
	timeoutMs: number;
	/** Stored OAuth grants (Google Meet's refresh token), read by the adapter itself. */
	grants?: PlatformGrants;
	log: FastifyBaseLogger;
}

const TEST_MEETING_MINUTES = 30;

/** What to do next for a failure kind whose adapter sentence does not carry a fix. */
function fixFor( error: PlatformError, label: string ): string | undefined {
	switch ( error.code ) {
		case 'not_configured':
			return `Fill in the missing ${ label } fields in the credentials step, save, and check again.`;
		case 'unavailable':
			return `Try again in a few minutes. If it keeps failing, check that the server running the video consultation service can reach ${ label } (firewall, proxy or DNS settings).`;
		case 'rate_limited':
			return `${ label } is limiting requests right now. Wait ${ error.retryAfterSeconds ? `${ error.retryAfterSeconds } seconds` : 'a minute' } and try again.`;
		default:
			return undefined;
	}
}

export function createPlatformChecks( deps: PlatformChecksDeps ) {
	/**
	 * A fresh token cache per run: a token cached by the booking sync would hide a secret that was
	 * rotated or revoked since, and the check exists to find out. Wall-clock time: the test
	 * meeting is real on the vendor's side, so "a day ahead" is a day from now.
	 */
	const envFor = (): PlatformEnv => {
		const clock = () => new Date();
		return { clock, tokens: createTokenCache( clock ), urls: deps.urls, timeoutMs: deps.timeoutMs, ...( deps.grants ? { grants: deps.grants } : {} ) };
	};

	const failed = ( body: PlatformCheckBody, error: PlatformError, label: string, extra: PlatformCheckDetails = {}, prefix = '' ): PlatformCheckResult => {
		const fix = fixFor( error, label );
		return {
			step: body.step,
			ok: false,
			message: `${ prefix }${ error.message }`,
			...( fix ? { fix } : {} ),
			details: { failure: error.code, ...extra },
		};
	};

	const testMeeting = async ( platform: VideoPlatform, body: PlatformCheckBody, label: string, actorId: number ): Promise< PlatformCheckResult > => {
		const organizer = body.organizer_email ?? '';
		if ( platform.id === 'teams' && ! organizer ) {
			return {
				step: body.step,
				ok: false,
				message: 'Teams meetings are organized by a provider: enter the Microsoft 365 e-mail of one of your providers as the test organizer.',
				details: { failure: 'not_configured', created: false, deleted: false },
			};
		}
		const start = new Date( Math.ceil( ( Date.now() + 86400_000 ) / 3600_000 ) * 3600_000 );
		const input: MeetingInput = {
			// Booking 0 is no booking: the meeting is findable as ours, and as no customer's.
			bookingId: 0,
			topic: TEST_MEETING_TOPIC,
			start,
			end: new Date( start.getTime() + TEST_MEETING_MINUTES * 60_000 ),
			timezone: 'UTC',
			host: { id: actorId, name: 'BookingX test', email: organizer },
			password: null,
			waitingRoom: true,
		};
		let meeting;
		try {
			meeting = await platform.createMeeting( input );
		} catch ( error ) {
			if ( error instanceof PlatformError ) {
				return failed( body, error, label, { created: false, deleted: false }, `Creating the test meeting failed. ` );
			}
			throw error;
		}
		try {
			await platform.deleteMeeting( meeting );
		} catch ( error ) {
			if ( error instanceof PlatformError ) {
				const result = failed( body, error, label, { created: true, deleted: false, meeting_id: meeting.meetingId }, 'The test meeting was created, but deleting it failed. ' );
				return { ...result, fix: `${ result.fix ? `${ result.fix } ` : '' }Delete the meeting "${ TEST_MEETING_TOPIC }" (ID ${ meeting.meetingId }) in ${ label } by hand.` };
			}
			throw error;
		}
		const when = start.toISOString().slice( 0, 16 ).replace( 'T', ' ' );
		return {
			step: body.step,
			ok: true,
			message: platform.capabilities.remote
				? `${ label } created a test meeting for ${ when } UTC and deleted it again: meetings for your bookings will work.`
				: `${ label } has no meeting API: a room exists once someone joins it, so nothing was created or deleted on the server. Making a room link for a booking works.`,
			details: { created: platform.capabilities.remote, deleted: platform.capabilities.remote },
		};
	};

	return {
		/**
		 * Runs one step for one platform and records it in the audit log.
		 *
		 * @throws only for bugs (non-PlatformError failures); vendor problems are `ok: false`.
		 */
		async run( id: PlatformId, body: PlatformCheckBody, actorId: number ): Promise< PlatformCheckResult > {
			const label = PLATFORM_LABELS[ id ];
			const settings = await deps.settings.get();
			const platform = createPlatform( id, { ...envFor(), settings } );
			const began = Date.now();
			let result: PlatformCheckResult;
			if ( ! platform ) {
				result = {
					step: body.step,
					ok: false,
					message: `There is no check for ${ label } in this version.`,
					fix: 'Update the video consultation service (sidecar) and the plugin to the latest version.',
					details: { failure: 'not_available' },
				};
			} else if ( body.step === 'connection' ) {
				try {
					const { detail } = await platform.verifyConnection( body.organizer_email ? { organizerEmail: body.organizer_email } : {} );
					result = { step: body.step, ok: true, message: detail };
				} catch ( error ) {
					if ( ! ( error instanceof PlatformError ) ) {
						throw error;
					}
					result = failed( body, error, label );
				}
			} else {
				result = await testMeeting( platform, body, label, actorId );
			}
			result = { ...result, details: { ...result.details, duration_ms: Date.now() - began } };

			// Facts only: no secret, no e-mail address, no link.
			const facts = { platform: id, step: body.step, ok: result.ok, failure: result.details?.failure ?? null };
			deps.log.info( facts, 'platform check' );
			await deps.audit
				.append( { action: 'platform.check', actorId, subjectType: 'platform', details: facts }, new Date() )
				.catch( ( error: unknown ) => deps.log.warn( { err: error }, 'platform check not audit-logged' ) );
			return result;
		},
	};
}

export type PlatformChecks = ReturnType< typeof createPlatformChecks >;

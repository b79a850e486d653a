/**
 * Makes a booking's consultation match the booking as it is now (docs/architecture.md §4).
 *
 * Every outbox event and the reconcile job end here. It re-reads the booking, so it is idempotent
 * and insensitive to event order and duplicates. A MySQL named lock per booking keeps two sidecar
 * instances from creating two meetings for one booking.
 */
import { createHmac } from 'node:crypto';

import type { Knex } from 'knex';
import type { FastifyBaseLogger } from 'fastify';

import type { ConsultationStatus, Settings } from '@bkx-video/contracts';

import { deriveAccessToken, generatePassword } from '../crypto';
import { createLockSet } from '../db/named-lock';
import type { Tables } from '../db/tables';
import { choosePlatforms, createPlatformCache, type ChoiceInput } from '../platforms/registry';
import { PlatformError, type MeetingInput, type MeetingRecord, type PlatformEnv } from '../platforms/video-platform';
import type { AccessTokensRepository } from '../repositories/access-tokens-repository';
import { CLOSED_BOOKING_STATUSES, type BookingsRepository } from '../repositories/bookings-repository';
import type { Consultation, ConsultationsRepository } from '../repositories/consultations-repository';
import { HEALTH_METADATA_KEY } from '../repositories/platform-health-repository';
import type { QueueRepository } from '../repositories/queue-repository';
import { isCredentialFailure, type PlatformHealth } from './platform-health';
import type { SettingsService } from './settings-service';

export type SyncOutcome = 'created' | 'updated' | 'reopened' | 'cancelled' | 'unchanged' | 'skipped' | 'failed';

const OPEN: ConsultationStatus[] = [ 'pending', 'scheduled', 'in_progress' ];

export interface BookingSyncDeps {
	knex: Knex;
	tables: Tables;
	bookings: BookingsRepository;
	consultations: ConsultationsRepository;
	accessTokens: AccessTokensRepository;
	queue: QueueRepository;
	settings: SettingsService;
	secret: string;
	clock: () => Date;
	platformEnv: PlatformEnv;
	log: FastifyBaseLogger;
	/** Records credential failures and recoveries per platform (admin notice, one e-mail, repair). */
	health?: () => Pick< PlatformHealth, 'track' >;
}

export function meetingOf( c: Consultation ): MeetingRecord {
	return {
		meetingId: c.meetingId ?? '',
		joinUrl: c.joinUrl,
		hostUrl: c.hostUrl,
		password: c.meetingPassword,
		dialInNumbers: c.dialInNumbers,
	};
}

export function createBookingSync( deps: BookingSyncDeps ) {
	const { knex, tables, bookings, consultations, accessTokens, queue, clock, log } = deps;
	const locks = createLockSet( knex, 30 );
	/** Adapters per settings snapshot: a burst of syncs shares them (and their prepared keys). */
	const platformFor = createPlatformCache( deps.platformEnv );
	/** Per site and not secret (derived one-way from the shared secret): keeps ids we choose on a shared platform account apart. */
	const siteKey = createHmac( 'sha256', deps.secret ).update( 'bkx-video-site-key' ).digest( 'hex' ).slice( 0, 16 );
	/** A call with a platform's credentials, its outcome recorded for integration health. */
	const track = < T >( platform: Consultation[ 'platform' ], fn: () => Promise< T > ): Promise< T > => {
		const health = deps.health?.();
		return health ? health.track( platform, fn ) : fn();
	};

	/** Stores the link's token (and revokes older ones): before the invitation that carries it is queued. */
	async function storeAccess( c: Pick< Consultation, 'id' | 'accessVersion' >, now: Date ): Promise< void > {
		await accessTokens.store( deriveAccessToken( deps.secret, c.id, c.accessVersion ), c.id, c.accessVersion, now );
		await accessTokens.revokeOlder( c.id, c.accessVersion, now );
	}

	function queueInvitation( c: Pick< Consultation, 'id' | 'accessVersion' >, now: Date ): Promise< void > {
		return queue.enqueueJob(
			'mail.invitation',
			{ consultationId: c.id, accessVersion: c.accessVersion },
			`mail.invitation:${ c.id }:v${ c.accessVersion }`,
			now,
			now
		);
	}

	async function issueAccess( c: Pick< Consultation, 'id' | 'accessVersion' >, now: Date ): Promise< void > {
		await storeAccess( c, now );
		await queueInvitation( c, now );
	}

	/** Plans the no-show check for this start (a moved consultation gets a new one; the old one sees the change and stops). */
	async function planNoShowCheck( consultationId: number, start: Date, settings: Settings, now: Date ): Promise< void > {
		if ( settings.no_show_after_minutes <= 0 ) {
			return;
		}
		const at = new Date( start.getTime() + settings.no_show_after_minutes * 60_000 );
		await queue.enqueueJob( 'session.no_show_check', { consultationId, start: start.toISOString() }, `session.no_show_check:${ consultationId }:${ start.getTime() }`, at, now );
	}

	/** Tries the candidates in order; returns the first meeting made and why others were skipped. */
	async function createWithFailover(
		settings: Settings,
		selection: ChoiceInput,
		input: MeetingInput
	): Promise< {
		platform: Consultation[ 'platform' ];
		meeting: MeetingRecord | null;
		failures: Array< { platform: string; reason: string } >;
		credentialsFailedOn: Consultation[ 'platform' ] | null;
	} > {
		const choice = choosePlatforms( settings, selection );
		const failures: Array< { platform: string; reason: string } > = [ ...choice.skipped ];
		let credentialsFailedOn: Consultation[ 'platform' ] | null = null;
		for ( const id of choice.candidates ) {
			const platform = platformFor( id, settings );
			if ( ! platform ) {
				continue;
			}
			try {
				return { platform: id, meeting: await track( id, () => platform.createMeeting( input ) ), failures, credentialsFailedOn };
			} catch ( error ) {
				// Busy (429) or possibly created (no answer): wait and retry the same platform rather
				// than moving the booking elsewhere; the retry looks for the meeting first.
				if ( error instanceof PlatformError && ( error.code === 'rate_limited' || error.transport ) ) {
					throw error;
				}
				const reason = error instanceof PlatformError ? `${ error.code }: ${ error.message }` : String( error );
				if ( isCredentialFailure( error ) && ! credentialsFailedOn ) {
					credentialsFailedOn = id;
				}
				failures.push( { platform: id, reason } );
				log.warn( { bookingId: input.bookingId, platform: id, reason }, 'platform refused to create a meeting; trying the next' );
			}
		}
		return { platform: choice.candidates[ 0 ] ?? settings.default_platform, meeting: null, failures, credentialsFailedOn };
	}

	async function sync( bookingId: number, verifyRemote: boolean ): Promise< SyncOutcome > {
		const now = clock();
		// Independent reads together: each is one batched query shared with the other syncs of a burst.
		const [ settings, booking, existing ] = await Promise.all( [ deps.settings.get(), bookings.getBooking( bookingId ), consultations.findByBooking( bookingId ) ] );
		const [ service, seat ] = booking
			? await Promise.all( [ bookings.getService( booking.serviceId ), booking.seatId ? bookings.getSeat( booking.seatId ) : null ] )
			: [ null, null ];

		let closedReason: string | null = null;
		if ( ! booking ) {
			closedReason = 'booking_deleted';
		} else if ( CLOSED_BOOKING_STATUSES.has( booking.status ) ) {
			closedReason = `booking_${ booking.status.replace( /^bkx-/, '' ) }`;
		} else if ( ! service?.videoEnabled ) {
			closedReason = 'not_a_video_service';
		} else if ( ! booking.start ) {
			closedReason = 'booking_without_time';
		}
		// A slot without an end (e.g. a day service) lasts the default duration.
		if ( booking?.start && ( ! booking.end || booking.end <= booking.start ) ) {
			booking.end = new Date( booking.start.getTime() + settings.default_duration * 60000 );
		}

		if ( closedReason ) {
			if ( ! existing || ! OPEN.includes( existing.status ) ) {
				return 'unchanged';
			}
			const platform = platformFor( existing.platform, settings );
			if ( platform && existing.meetingId ) {
				await track( existing.platform, () => platform.deleteMeeting( meetingOf( existing ) ) );
			}
			// The link keeps working so the customer reads "cancelled" instead of "not found"; joining
			// is refused by state. A reopened consultation gets a new link (see below).
			const invited = existing.status !== 'pending';
			const sequence = existing.icsSequence + 1;
			await consultations.update(
				existing.id,
				{
					status: 'cancelled',
					icsSequence: sequence,
					metadata: { ...existing.metadata, cancel_reason: closedReason },
					syncError: null,
				},
				now
			);
			// Calendars that hold the invitation get a CANCEL with a higher SEQUENCE (RFC 5546).
			if ( invited && ( existing.scheduledEnd > now ) ) {
				await queue.enqueueJob( 'mail.cancellation', { consultationId: existing.id, sequence }, `mail.cancellation:${ existing.id }:s${ sequence }`, now, now );
			}
			log.info( { bookingId, consultationId: existing.id, reason: closedReason }, 'consultation cancelled' );
			return 'cancelled';
		}
		if ( ! booking || ! service || ! booking.start || ! booking.end ) {
			return 'unchanged';
		}
		if ( ! settings.enabled || ( ! existing && ! settings.auto_create_meetings ) ) {
			return 'skipped';
		}
		// No new meeting (nor invitation) for a booking that is already over or completed, e.g.
		// when a service with a history of bookings is marked as video.
		if ( ! existing && ( booking.end <= now || booking.status === 'bkx-completed' ) ) {
			return 'skipped';
		}

		const [ host, customerUserId, timezone ] = await Promise.all( [
			seat?.wpUserId ? bookings.getUser( seat.wpUserId ) : null,
			bookings.findUserIdByEmail( booking.email ),
			bookings.siteTimezone(),
		] );
		const customerName = `${ booking.firstName } ${ booking.lastName }`.trim() || booking.email;
		const durationMinutes = Math.round( ( booking.end.getTime() - booking.start.getTime() ) / 60000 );
		const input: MeetingInput = {
			bookingId,
			topic: `${ service.title } — ${ customerName }`,
			start: booking.start,
			end: booking.end,
			timezone,
			host: { id: host?.id ?? 0, name: host?.displayName ?? seat?.title ?? '', email: host?.email ?? seat?.email ?? '' },
			password: settings.password_required ? existing?.meetingPassword ?? generatePassword( settings.password_length ) : null,
			waitingRoom: settings.waiting_room_enabled,
			siteKey,
		};
		const fields = {
			bookingId,
			durationMinutes,
			scheduledStart: booking.start,
			scheduledEnd: booking.end,
			hostId: host?.id ?? 0,
			serviceId: service.id,
			seatId: booking.seatId,
			customerUserId,
			customerEmail: booking.email || null,
			customerName,
			waitingRoomEnabled: settings.waiting_room_enabled,
			requiresPassword: settings.password_required,
			recordingEnabled: settings.auto_recording,
		};

		if ( ! existing || ! existing.meetingId ) {
			const made = await createWithFailover(
				settings,
				{ serviceOverride: service.platformOverride, customerChoice: booking.platformChoice, durationMinutes },
				input
			);
			const metadata: Record< string, unknown > = { ...( existing?.metadata ?? {} ), platform_failures: made.failures };
			if ( made.credentialsFailedOn ) {
				// Listed on the integration-health notice until the platform works again.
				metadata[ HEALTH_METADATA_KEY ] = made.credentialsFailedOn;
			}
			const record = {
				...fields,
				platform: made.platform,
				meetingId: made.meeting?.meetingId ?? null,
				meetingPassword: made.meeting?.password ?? null,
				hostUrl: made.meeting?.hostUrl ?? null,
				joinUrl: made.meeting?.joinUrl ?? '',
				dialInNumbers: made.meeting?.dialInNumbers ?? [],
				status: ( made.meeting ? 'scheduled' : 'pending' ) as ConsultationStatus,
				accessVersion: existing?.accessVersion ?? 1,
				icsSequence: existing?.icsSequence ?? 0,
				metadata,
				syncError: made.meeting ? null : made.failures.map( ( f ) => `${ f.platform }: ${ f.reason }` ).join( '; ' ) || 'No video platform is enabled.',
			};
			let consultation: Consultation;
			if ( existing ) {
				await consultations.update( existing.id, record, now );
				consultation = { ...existing, ...record };
			} else {
				consultation = await consultations.insert( record, now );
			}
			if ( ! made.meeting ) {
				log.error( { bookingId, failures: made.failures }, 'no platform could create the meeting' );
				throw new Error( `No platform could create a meeting for booking ${ bookingId }` );
			}
			// The invitation and the no-show check go out together (one batched INSERT of jobs).
			await storeAccess( consultation, now );
			await Promise.all( [ queueInvitation( consultation, now ), planNoShowCheck( consultation.id, booking.start, settings, now ) ] );
			log.info( { bookingId, consultationId: consultation.id, platform: made.platform }, 'consultation created' );
			return 'created';
		}

		const reopened = ! OPEN.includes( existing.status );
		const over = booking.end <= now || booking.status === 'bkx-completed';
		// A new e-mail address is a different recipient: the old link must stop working and the new
		// address gets its own invitation.
		const recipientChanged = ( existing.customerEmail ?? '' ).toLowerCase() !== ( fields.customerEmail ?? '' ).toLowerCase();
		const moved =
			existing.scheduledStart.getTime() !== booking.start.getTime() ||
			existing.scheduledEnd.getTime() !== booking.end.getTime() ||
			existing.hostId !== fields.hostId;
		const detailsChanged =
			existing.customerEmail !== fields.customerEmail ||
			existing.customerUserId !== fields.customerUserId ||
			existing.customerName !== fields.customerName ||
			existing.serviceId !== fields.serviceId ||
			existing.seatId !== fields.seatId;
		const platform = platformFor( existing.platform, settings );
		// Drift on the platform itself (reconcile only): a meeting deleted there is made again; one
		// whose time was changed there is put back.
		let drifted = false;
		let timeDrift = false;
		// A refusal of our credentials leaves the consultation as it is, marked for the health notice;
		// the event is retried and the repair after recovery syncs it again.
		const markCredentialFailure = async ( error: unknown ) => {
			if ( isCredentialFailure( error ) ) {
				await consultations.update(
					existing.id,
					{ syncError: `${ existing.platform }: ${ error.message }`, metadata: { ...existing.metadata, [ HEALTH_METADATA_KEY ]: existing.platform } },
					now
				);
			}
			return error;
		};
		if ( verifyRemote && ! over && platform?.capabilities.remote && OPEN.includes( existing.status ) ) {
			const remote = await track( existing.platform, () => platform.getMeetingDetails( meetingOf( existing ) ) ).catch( async ( error: unknown ) => {
				throw await markCredentialFailure( error );
			} );
			drifted = remote === null;
			timeDrift =
				remote !== null &&
				( ( remote.start !== undefined && Math.abs( remote.start.getTime() - booking.start.getTime() ) > 60_000 ) ||
					( remote.durationMinutes !== undefined && remote.durationMinutes !== durationMinutes ) );
			if ( drifted || timeDrift ) {
				log.warn( { bookingId, consultationId: existing.id, platform: existing.platform, deleted: drifted }, 'meeting drifted on the platform; repairing it' );
			}
		}
		let meeting = meetingOf( existing );
		if ( moved || reopened || drifted || timeDrift ) {
			if ( ! platform ) {
				throw new Error( `Platform ${ existing.platform } is not available to update booking ${ bookingId }` );
			}
			const current = meeting;
			try {
				try {
					meeting = await track( existing.platform, () => ( drifted ? platform.createMeeting( input ) : platform.updateMeeting( current, input ) ) );
				} catch ( error ) {
					// Deleted on the platform while we were not looking: make it again.
					if ( ! ( error instanceof PlatformError && error.code === 'not_found' ) ) {
						throw error;
					}
					meeting = await track( existing.platform, () => platform.createMeeting( input ) );
					drifted = true;
				}
			} catch ( error ) {
				throw await markCredentialFailure( error );
			}
		}
		if ( ! reopened && ! moved && ! detailsChanged && ! drifted && ! timeDrift ) {
			await consultations.touchSynced( existing.id, now );
			return 'unchanged';
		}
		// A reopened or re-addressed consultation gets a new link, unless it is already over.
		const newLink = ( reopened || recipientChanged ) && ! over;
		const accessVersion = newLink ? existing.accessVersion + 1 : existing.accessVersion;
		// Time changes and reopenings re-send the invitation with a higher SEQUENCE.
		const calendarChanged = ( moved || reopened ) && ! over;
		const icsSequence = calendarChanged ? existing.icsSequence + 1 : existing.icsSequence;
		await consultations.update(
			existing.id,
			{
				...fields,
				meetingId: meeting.meetingId,
				joinUrl: meeting.joinUrl,
				dialInNumbers: meeting.dialInNumbers,
				hostUrl: meeting.hostUrl,
				meetingPassword: meeting.password,
				status: reopened ? 'scheduled' : existing.status,
				accessVersion,
				icsSequence,
				syncError: null,
			},
			now
		);
		if ( newLink ) {
			await issueAccess( { id: existing.id, accessVersion }, now );
		} else if ( recipientChanged ) {
			await accessTokens.revokeOlder( existing.id, accessVersion + 1, now );
		}
		if ( calendarChanged ) {
			await planNoShowCheck( existing.id, booking.start, settings, now );
		}
		if ( calendarChanged && ! newLink ) {
			await queue.enqueueJob( 'mail.update', { consultationId: existing.id, sequence: icsSequence }, `mail.update:${ existing.id }:s${ icsSequence }`, now, now );
		}
		if ( reopened ) {
			log.info( { bookingId, consultationId: existing.id }, 'consultation reopened' );
			return 'reopened';
		}
		log.info( { bookingId, consultationId: existing.id, moved }, 'consultation updated' );
		return 'updated';
	}

	return {
		/** @throws when a platform call fails; the caller retries with backoff. */
		/**
		 * @param options.verifyRemote also compare with the platform (the reconcile job does).
		 */
		syncBooking( bookingId: number, options: { verifyRemote?: boolean } = {} ): Promise< SyncOutcome > {
			return locks.run( `${ tables.consultations }:${ bookingId }`, () => sync( bookingId, options.verifyRemote ?? false ) );
		},
	};
}

export type BookingSync = ReturnType< typeof createBookingSync >;

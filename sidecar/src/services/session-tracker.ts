/**
 * What happened in a consultation, from the platform's events (webhooks) or our own join events:
 * when it started and ended, who took part for how long, whether the customer came (no-show), and
 * whether it ran over its slot (overtime).
 *
 * Events may come twice or out of order (Zoom retries; a leave may arrive before its join), so
 * each one is applied by comparing with what is stored, never by counting: the same event twice
 * changes nothing, and the participant count is recounted from the participant rows.
 */
import type { Knex } from 'knex';
import type { FastifyBaseLogger } from 'fastify';

import type { ConsultationStatus, Settings } from '@bkx-video/contracts';

import { createLockSet } from '../db/named-lock';
import type { Tables } from '../db/tables';
import type { Consultation, ConsultationsRepository, SessionPatch } from '../repositories/consultations-repository';
import type { Participant, ParticipantRole, ParticipantsRepository } from '../repositories/participants-repository';
import type { QueueRepository } from '../repositories/queue-repository';
import { joinWindow } from './consultations-service';
import { SELF_TRACKED } from './join-events';
import type { SettingsService } from './settings-service';

export interface SessionParticipant {
	/** Stable per person within the meeting (Zoom: participant_uuid, else user_id). */
	key: string;
	name: string;
	email: string | null;
	userId: number | null;
	/** Left out: the booking's customer when the e-mail is theirs, else a guest. */
	role?: ParticipantRole;
	deviceType?: string | null;
	ipAddress?: string | null;
}

export type SessionEvent =
	| { kind: 'started'; at: Date }
	/**
	 * `inferred`: nobody told us the end (our own join events only, see {@link closeUntracked}):
	 * stays without a known leave keep no leave time, no overtime is claimed, and the end is
	 * flagged `end_inferred` in the metadata.
	 */
	| { kind: 'ended'; at: Date; inferred?: boolean }
	/**
	 * `clicked`: one of our own join events (a click on Join, not a platform's event): a person
	 * who is still in a stay is not joining again, so it adds no stay (clicks repeat; a platform
	 * sends one join per stay).
	 */
	| { kind: 'joined'; at: Date; participant: SessionParticipant; clicked?: boolean }
	| { kind: 'left'; at: Date; participant: SessionParticipant };

export type SessionOutcome = 'applied' | 'duplicate' | 'not_found';

/** A meeting that ends more than this after its slot ran over. */
const OVERTIME_GRACE_MS = 60_000;

const NOT_STARTED: ConsultationStatus[] = [ 'pending', 'scheduled' ];
const OPEN: ConsultationStatus[] = [ 'pending', 'scheduled', 'in_progress' ];

export interface SessionTrackerDeps {
	knex: Knex;
	tables: Tables;
	consultations: ConsultationsRepository;
	participants: ParticipantsRepository;
	settings: SettingsService;
	queue: QueueRepository;
	clock: () => Date;
	log: FastifyBaseLogger;
	/** Whether a Teams consultation's meeting was watched without a gap (see {@link attendanceKnown}). */
	teamsWatched?: ( c: Consultation ) => Promise< boolean >;
}

/**
 * Whether we learn who joined a meeting on this platform: Zoom tells us by webhook once its secret
 * token is set. Teams tells us only for a meeting whose Graph subscription watched it from before
 * its start without a gap (`teamsWatched`, services/teams-subscriptions.ts). Jitsi with JWT on:
 * the room admits only the tokens our Join mints, so our own join events see everyone. Google
 * Meet does not: its link is the same for everyone and never expires, so once opened (bookmarked,
 * or taken from the Google Calendar entry) it leads into the meeting without us, and Calendar
 * tells nothing about attendance. A consultation whose attendance is not known is never called a
 * no-show.
 */
export function attendanceKnown( platform: Consultation[ 'platform' ], settings: Settings, teamsWatched = false ): boolean {
	switch ( platform ) {
		case 'zoom':
			return settings.zoom_webhook_secret.length > 0;
		case 'teams':
			return teamsWatched;
		case 'jitsi':
			// Without JWT the room is open to anyone with its address, joins we never see.
			return settings.jitsi_jwt_enabled && settings.jitsi_app_id.length > 0 && settings.jitsi_app_secret.length > 0;
		default:
			return false;
	}
}

export function createSessionTracker( deps: SessionTrackerDeps ) {
	const { consultations, participants, clock, log } = deps;
	const locks = createLockSet( deps.knex, 30 );
	const meetingLock = ( platform: Consultation[ 'platform' ], meetingId: string ) => `${ deps.tables.consultations }:session:${ platform }:${ meetingId }`;
	const same = ( a: Date | null, b: Date ) => a !== null && Math.abs( a.getTime() - b.getTime() ) < 1000;
	const knownFor = async ( c: Consultation, settings?: Settings ) =>
		attendanceKnown( c.platform, settings ?? ( await deps.settings.get() ), c.platform === 'teams' && deps.teamsWatched ? await deps.teamsWatched( c ) : false );

	/** Stores a join or leave; returns false when it was already stored. */
	async function recordStay( consultationId: number, kind: 'joined' | 'left', at: Date, p: SessionParticipant & { role: ParticipantRole }, endedAt: Date | null, now: Date, clicked = false ): Promise< boolean > {
		const stays = await participants.listStays( consultationId, p.key );
		if ( kind === 'joined' ) {
			if ( stays.some( ( s ) => same( s.joinTime, at ) ) ) {
				return false;
			}
			// Another click while the stay goes on; after a leave it is a reconnect (a new stay).
			if ( clicked && stays.some( ( s ) => s.joinTime && s.joinTime <= at && ! s.leaveTime ) ) {
				return false;
			}
			// Its leave came first: the stay without a join that ended after this moment.
			const early = stays.filter( ( s ) => ! s.joinTime && s.leaveTime && s.leaveTime >= at ).sort( byLeave )[ 0 ];
			if ( early ) {
				await participants.setTimes( early.id, { joinTime: at, leaveTime: early.leaveTime } );
				return true;
			}
			// A join delivered after the end of the meeting: the stay lasted until the end (its own
			// leave, should it still come, corrects that).
			const leaveTime = endedAt && at <= endedAt ? endedAt : null;
			const id = await participants.insert( { consultationId, key: p.key, userId: p.userId, name: p.name, email: p.email, role: p.role, joinTime: at, leaveTime: null, durationSeconds: null, deviceType: p.deviceType ?? null, ipAddress: p.ipAddress ?? null }, now );
			if ( leaveTime ) {
				await participants.setTimes( id, { joinTime: at, leaveTime } );
			}
			return true;
		}
		if ( stays.some( ( s ) => same( s.leaveTime, at ) ) ) {
			return false;
		}
		// The latest open stay that began before this leave (or one the meeting's end closed for it).
		const closedByEnd = ( s: Participant ) => endedAt !== null && same( s.leaveTime, endedAt ) && at < endedAt;
		const open = stays.filter( ( s ) => s.joinTime && ( ! s.leaveTime || closedByEnd( s ) ) && s.joinTime <= at ).sort( byJoin ).at( -1 );
		if ( open ) {
			await participants.setTimes( open.id, { joinTime: open.joinTime, leaveTime: at } );
			return true;
		}
		await participants.insert( { consultationId, key: p.key, userId: p.userId, name: p.name, email: p.email, role: p.role, joinTime: null, leaveTime: at, durationSeconds: null, deviceType: p.deviceType ?? null, ipAddress: p.ipAddress ?? null }, now );
		return true;
	}

	async function apply( find: () => Promise< Consultation | null >, event: SessionEvent ): Promise< SessionOutcome > {
		const now = clock();
		const c = await find();
		if ( ! c ) {
			return 'not_found';
		}
		const patch: SessionPatch = {};
		let changed = false;

		if ( event.kind === 'started' || event.kind === 'joined' ) {
			// The earliest moment anyone was there is when it started.
			if ( ! c.actualStart || event.at < c.actualStart ) {
				patch.actualStart = event.at;
			}
			if ( NOT_STARTED.includes( c.status ) ) {
				patch.status = 'in_progress';
			}
		}
		if ( event.kind === 'joined' || event.kind === 'left' ) {
			const p = event.participant;
			const role = p.role ?? ( p.email && c.customerEmail && p.email.toLowerCase() === c.customerEmail.toLowerCase() ? 'participant' : 'guest' );
			changed = await recordStay( c.id, event.kind, event.at, { ...p, role }, c.actualEnd, now, event.kind === 'joined' && event.clicked === true );
			patch.recountParticipants = changed;
			// The customer came after all (late, or their join was delivered late): not a no-show.
			if ( c.status === 'no_show' && ( await participants.someoneBesidesHostJoined( c.id ) ) ) {
				patch.status = c.actualEnd ? 'completed' : 'in_progress';
			}
		}
		if ( event.kind === 'ended' ) {
			if ( ! c.actualEnd || event.at > c.actualEnd ) {
				patch.actualEnd = event.at;
			}
			// Whoever was still in the meeting left when it ended (unless the end is only inferred:
			// then when they left is not known, and is not claimed).
			for ( const s of event.inferred ? [] : ( await participants.listOpen( c.id ) ).filter( ( s ) => s.joinTime && s.joinTime <= event.at ) ) {
				await participants.setTimes( s.id, { joinTime: s.joinTime, leaveTime: event.at } );
				changed = true;
			}
			if ( OPEN.includes( c.status ) ) {
				// Nobody but the host seen: a no-show only if we would have seen them (Teams events
				// missed while unsubscribed must not make one).
				patch.status = ( await participants.someoneBesidesHostJoined( c.id ) ) || ! ( await knownFor( c ) ) ? 'completed' : 'no_show';
			}
			const end = patch.actualEnd ?? c.actualEnd ?? event.at;
			const over = end.getTime() - c.scheduledEnd.getTime();
			if ( event.inferred ) {
				// Overtime needs a known end; an inferred one only says the session is over.
				if ( patch.actualEnd && c.metadata.end_inferred !== true ) {
					patch.metadata = { ...c.metadata, end_inferred: true };
				}
			} else if ( over > OVERTIME_GRACE_MS && c.metadata.overtime_minutes !== Math.round( over / 60000 ) ) {
				patch.metadata = { ...c.metadata, overtime_minutes: Math.round( over / 60000 ) };
			}
		}

		const differs =
			( patch.actualStart && ! same( c.actualStart, patch.actualStart ) ) ||
			( patch.actualEnd && ! same( c.actualEnd, patch.actualEnd ) ) ||
			( patch.status && patch.status !== c.status ) ||
			patch.recountParticipants ||
			patch.metadata !== undefined;
		if ( ! differs && ! changed ) {
			return 'duplicate';
		}
		if ( differs ) {
			await consultations.recordSession( c.id, patch, now );
		}
		if ( patch.status && patch.status !== c.status ) {
			log.info( { consultationId: c.id, from: c.status, to: patch.status }, 'consultation status changed by its session' );
		}
		return 'applied';
	}

	/**
	 * `session.no_show_check`, `no_show_after_minutes` after the start: who has not come? The
	 * customer absent makes the consultation a `no_show`; either absence is told to WordPress
	 * (`bkx_video_consultation_no_show`, for payment add-ons: a refund is suggested when the
	 * provider was the one absent and `refund_on_no_show` is on).
	 */
	async function checkNoShow( consultationId: number, start: string ): Promise< 'no_show' | 'attended' | 'skipped' > {
		const first = await consultations.findById( consultationId, { fresh: true } );
		if ( ! first?.meetingId ) {
			return 'skipped';
		}
		// Under the meeting's lock: a join being applied at this moment is either seen or sees us.
		return locks.run( meetingLock( first.platform, first.meetingId ), () => judgeNoShow( consultationId, start ) );
	}

	async function judgeNoShow( consultationId: number, start: string ): Promise< 'no_show' | 'attended' | 'skipped' > {
		const now = clock();
		const settings = await deps.settings.get();
		const c = await consultations.findById( consultationId, { fresh: true } );
		// Moved since this check was planned (the move planned another), closed, or no data.
		if ( ! c || c.scheduledStart.toISOString() !== start || ! [ 'scheduled', 'in_progress' ].includes( c.status ) || ! ( await knownFor( c, settings ) ) ) {
			return 'skipped';
		}
		// Run after the join window closed (the sidecar was down, or the booking was restored after
		// its slot): whether it could be joined all along is not known, so nothing is judged.
		if ( now > joinWindow( c, settings ).closesAt ) {
			log.info( { consultationId: c.id }, 'no-show check ran after the join window; not judged' );
			return 'skipped';
		}
		const list = await participants.listForConsultation( c.id );
		const joined = ( role: 'host' | 'other' ) => list.some( ( s ) => s.joinTime && ( role === 'host' ? s.role === 'host' : s.role !== 'host' ) );
		const customerAbsent = ! joined( 'other' );
		const hostAbsent = ! joined( 'host' );
		if ( ! customerAbsent && ! hostAbsent ) {
			return 'attended';
		}
		const absent = customerAbsent && hostAbsent ? 'both' : customerAbsent ? 'customer' : 'host';
		const refund = settings.refund_on_no_show && absent !== 'customer';
		await consultations.recordSession( c.id, { status: customerAbsent ? 'no_show' : undefined, metadata: { ...c.metadata, no_show: absent } }, now );
		await deps.queue.enqueueJob(
			'wp.session_event',
			{ event: 'no_show', consultationId: c.id, bookingId: c.bookingId, absent, refund, scheduledStart: start },
			`wp.session_event:no_show:${ c.id }:${ start }`,
			now,
			now
		);
		log.info( { consultationId: c.id, absent, refund }, 'no-show recorded' );
		return 'no_show';
	}

	/**
	 * `session.close`, planned by our own join events at the end of the join window: a session on a
	 * platform that sends us nothing (Jitsi, Meet, the built-in room) that no one has closed ends
	 * now, as an inferred end (see {@link SessionEvent}) at the later of the slot's end and the last
	 * join or leave we saw. A window that moved later is planned again for its new end.
	 */
	async function closeUntracked( consultationId: number ): Promise< 'closed' | 'later' | 'skipped' > {
		const now = clock();
		const first = await consultations.findById( consultationId, { fresh: true } );
		if ( ! first?.meetingId || ! SELF_TRACKED.has( first.platform ) ) {
			return 'skipped';
		}
		const { closesAt } = joinWindow( first, await deps.settings.get() );
		if ( now < closesAt ) {
			await deps.queue.enqueueJob( 'session.close', { consultationId }, `session.close:${ consultationId }:${ closesAt.getTime() }`, closesAt, now );
			return 'later';
		}
		return locks.run( meetingLock( first.platform, first.meetingId ), async () => {
			const c = await consultations.findById( consultationId, { fresh: true } );
			// Closed already (a platform told the end, or cancelled), or nobody ever came.
			if ( ! c?.meetingId || c.actualEnd || ! c.actualStart || ! [ 'in_progress', 'no_show' ].includes( c.status ) ) {
				return 'skipped';
			}
			const seen = ( await participants.listForConsultation( c.id ) ).flatMap( ( s ) => [ s.joinTime, s.leaveTime ] ).filter( ( d ): d is Date => d !== null );
			const end = new Date( Math.max( c.scheduledEnd.getTime(), ...seen.map( ( d ) => d.getTime() ) ) );
			await apply( async () => c, { kind: 'ended', at: end, inferred: true } );
			return 'closed';
		} );
	}

	return {
		checkNoShow,
		closeUntracked,

		/** Whether this person is in a stay that has no leave yet (a repeated Join click changes nothing then). */
		async inStay( consultationId: number, key: string ): Promise< boolean > {
			return ( await participants.listStays( consultationId, key ) ).some( ( s ) => s.joinTime && ! s.leaveTime );
		},

		/**
		 * Applies one event to the consultation whose meeting on `platform` this is (webhooks); the
		 * same event again, or an older one, changes nothing. Locked by the meeting, across instances.
		 */
		applyToMeeting( platform: Consultation[ 'platform' ], meetingId: string, event: SessionEvent ): Promise< SessionOutcome > {
			return locks.run( meetingLock( platform, meetingId ), () => apply( () => consultations.findByMeeting( platform, meetingId ), event ) );
		},
	};
}

const byJoin = ( a: Participant, b: Participant ) => ( a.joinTime?.getTime() ?? 0 ) - ( b.joinTime?.getTime() ?? 0 );
const byLeave = ( a: Participant, b: Participant ) => ( a.leaveTime?.getTime() ?? 0 ) - ( b.leaveTime?.getTime() ?? 0 );

export type SessionTracker = ReturnType< typeof createSessionTracker >;

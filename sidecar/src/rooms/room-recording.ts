/**
 * Recording consent in the built-in room (issue 6): the hub's part of "everyone sees it is on".
 *
 * The rule: **a take is recorded only while everyone in the room has consented to it.** A host's
 * `record start` opens a take (their start is their own consent) and asks everyone else
 * (`recording-consent-requested`); when the last one agrees, `recording-started` goes to all and
 * the host's browser records. Someone who comes in while a take is on is asked at once and, until
 * they agree, the take is `recording-pending` for everybody (the recorder pauses: nothing of anyone
 * is recorded); it resumes when they consent or leave. Whoever will not consent leaves. A stop by a
 * host, the departure of the host who started it, or the end of the room ends the take.
 *
 * The hub keeps takes in memory with the room; each consent goes to the database and the audit
 * log through {@link RecordingEvents} (app.ts), and the upload route (routes/rooms/recordings.ts)
 * asks {@link RoomRecording.current} whether a take is the room's and whose it is.
 */
import { randomBytes } from 'node:crypto';

import type { RoomRole, ServerMessage } from '@bkx-video/contracts';

/** The peer fields the consent rules need (the hub's peers have them). */
export interface RecordingPeer {
	id: string;
	key: string;
	name: string;
	role: RoomRole;
	userId: number;
	email: string | null;
}

export interface RecordingRoom {
	config: { roomId: string; consultationId: number; recording?: boolean };
}

/** A take's life, for the database, the audit log and the upload's finalization. */
export interface RecordingEvent {
	kind: 'requested' | 'consented' | 'started' | 'pending' | 'stopped';
	take: string;
	/** Who: the host for requested/stopped, the person for consented; the starter otherwise. */
	peer: RecordingPeer;
	at: Date;
	/** Why a take stopped. */
	reason?: 'host_stopped' | 'host_left' | 'room_ended';
}

export type RecordingEvents = ( room: RecordingRoom[ 'config' ], event: RecordingEvent ) => void;

/** The room's take as the upload route sees it. */
export interface TakeState {
	take: string;
	/** Participant key of the host who started it (the only one who may upload it). */
	byKey: string;
	/** Everyone in the room has consented (media is being recorded). */
	active: boolean;
	/** Participant keys that consented to it. */
	consented: string[];
}

interface Take {
	id: string;
	by: RecordingPeer;
	consented: Set< string >;
	active: boolean;
}

function newTakeId(): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
	let id = '';
	for ( const b of randomBytes( 16 ) ) {
		id += alphabet[ b % alphabet.length ];
	}
	return `t_${ id }`;
}

interface Deps< R extends RecordingRoom, P extends RecordingPeer > {
	inRoom: ( room: R ) => P[];
	send: ( peer: P, message: ServerMessage ) => void;
	clock: () => Date;
	events?: RecordingEvents;
}

export function createRoomRecording< R extends RecordingRoom, P extends RecordingPeer >( deps: Deps< R, P > ) {
	const takes = new Map< string, Take >();
	const emit = ( room: R, event: Omit< RecordingEvent, 'at' > ) => deps.events?.( room.config, { ...event, at: deps.clock() } );

	const missing = ( room: R, take: Take ) => deps.inRoom( room ).filter( ( p ) => ! take.consented.has( p.key ) );

	const stateMessage = ( take: Take, waiting: P[] ): ServerMessage =>
		take.active
			? { type: 'recording-started', by: take.by.id, take: take.id }
			: { type: 'recording-pending', by: take.by.id, take: take.id, waiting: waiting.map( ( p ) => p.id ) };

	/** Moves the take on after anyone came, went or agreed, and tells the room when its state changed. */
	function evaluate( room: R, take: Take, force = false ): void {
		const waiting = missing( room, take );
		const active = waiting.length === 0;
		if ( active === take.active && ! force ) {
			return;
		}
		take.active = active;
		for ( const p of deps.inRoom( room ) ) {
			deps.send( p, stateMessage( take, waiting ) );
		}
		emit( room, { kind: active ? 'started' : 'pending', take: take.id, peer: take.by } );
	}

	function ask( room: R, take: Take, peers: P[] ): void {
		for ( const p of peers ) {
			deps.send( p, { type: 'recording-consent-requested', by: take.by.id, take: take.id } );
		}
	}

	function stop( room: R, by: RecordingPeer, reason: NonNullable< RecordingEvent[ 'reason' ] >, announce: boolean ): void {
		const take = takes.get( room.config.roomId );
		if ( ! take ) {
			return;
		}
		takes.delete( room.config.roomId );
		if ( announce ) {
			for ( const p of deps.inRoom( room ) ) {
				deps.send( p, { type: 'recording-stopped', by: by.id } );
			}
		}
		emit( room, { kind: 'stopped', take: take.id, peer: by, reason } );
	}

	return {
		/** Whether a take exists (the `welcome` flag). */
		on( room: R ): boolean {
			return takes.has( room.config.roomId );
		},

		/** The room's take, for the upload route; null when nothing is being recorded. */
		current( roomId: string ): TakeState | null {
			const take = takes.get( roomId );
			return take ? { take: take.id, byKey: take.by.key, active: take.active, consented: [ ...take.consented ] } : null;
		},

		/**
		 * A host's `record`. Returns the error to answer, or null.
		 * `start` while a take exists, or `stop` without one, is a no-op.
		 */
		record( room: R, host: P, action: 'start' | 'stop' ): 'forbidden' | null {
			if ( host.role !== 'host' || ! room.config.recording ) {
				return 'forbidden';
			}
			if ( action === 'stop' ) {
				stop( room, host, 'host_stopped', true );
				return null;
			}
			if ( takes.has( room.config.roomId ) ) {
				return null;
			}
			const take: Take = { id: newTakeId(), by: host, consented: new Set( [ host.key ] ), active: false };
			takes.set( room.config.roomId, take );
			emit( room, { kind: 'requested', take: take.id, peer: host } );
			// The host's start is their consent, recorded as anyone's.
			emit( room, { kind: 'consented', take: take.id, peer: host } );
			ask( room, take, missing( room, take ) );
			evaluate( room, take, true );
			return null;
		},

		/** Someone in the room agreed to the current take (a repeat is a no-op). */
		consent( room: R, peer: P ): void {
			const take = takes.get( room.config.roomId );
			if ( ! take || take.consented.has( peer.key ) ) {
				return;
			}
			take.consented.add( peer.key );
			emit( room, { kind: 'consented', take: take.id, peer } );
			evaluate( room, take );
		},

		/**
		 * After a `welcome` (a newcomer, or a peer resuming): the take's state for them, the consent
		 * question if they have not answered it, and a pause for everyone while they have not.
		 */
		entered( room: R, peer: P ): void {
			const take = takes.get( room.config.roomId );
			if ( ! take ) {
				return;
			}
			const waiting = missing( room, take );
			if ( waiting.some( ( p ) => p.key === peer.key ) ) {
				ask( room, take, [ peer ] );
				// Everyone learns the take waits (again), and for whom.
				evaluate( room, take, true );
			} else {
				deps.send( peer, stateMessage( take, waiting ) );
			}
		},

		/** Someone left the room: the starter's departure stops the take; anyone else's may resume it. */
		left( room: R, peer: P ): void {
			const take = takes.get( room.config.roomId );
			if ( ! take ) {
				return;
			}
			if ( peer.key === take.by.key ) {
				stop( room, peer, 'host_left', true );
				return;
			}
			// While it waits, the others see the shorter list too.
			evaluate( room, take, ! take.active );
		},

		/** The room ended: its take ends with it (nobody is left to tell). */
		ended( room: R ): void {
			const take = takes.get( room.config.roomId );
			if ( take ) {
				stop( room, take.by, 'room_ended', false );
			}
		},
	};
}

export type RoomRecording = ReturnType< typeof createRoomRecording >;

/**
 * Whether hosts may record the built-in room: `recording_type` `cloud` (the recording is kept on the
 * site). `local` means "recordings stay on the host's computer", which the room does not offer.
 */
export function roomRecordingAllowed( settings: { recording_type: 'cloud' | 'local' } ): boolean {
	return settings.recording_type === 'cloud';
}

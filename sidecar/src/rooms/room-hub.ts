/**
 * The built-in room's signaling hub: who is in which room, the waiting room, and the relay of
 * session descriptions, ICE candidates, chat and media state between peers (BRIEF §6).
 *
 * Rooms live in this instance's memory while someone is in them; several sidecar instances pin a
 * room to one instance by its id (docs/operations.md). The hub knows nothing of sockets: each
 * connection is a {@link RoomConn} and feeds {@link PeerSession.message}; the route
 * (routes/rooms.ts) does the WebSocket, the origin and the token.
 *
 * A person keeps one peer id per room (by participant key): a second tab takes over the first,
 * and a dropped connection keeps its place for `resumeGraceSeconds`, so a reconnect resumes the
 * same peer (the others keep their media connections and only restart ICE).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

import {
	ClientMessageSchema,
	ROOM_CLOSE,
	ROOM_ERROR_MESSAGES,
	ROOM_LIMITS,
	BOARD_HISTORY,
	type ClientMessage,
	type PeerInfo,
	type QualityLevel,
	type RoomErrorCode,
	type RoomRole,
	type ServerMessage,
	type SfuAccess,
} from '@bkx-video/contracts';

import { createRoomRecording, type RecordingEvents } from './room-recording';

/** One open connection, as the hub sees it. */
export interface RoomConn {
	send( message: ServerMessage ): void;
	close( code: number, reason: string ): void;
}

/** What the hub needs to know of a room, loaded when someone connects. */
export interface RoomConfig {
	roomId: string;
	consultationId: number;
	/** The meeting password participants must give (hosts never do), or null. */
	password: string | null;
	waitingRoom: boolean;
	maxParticipants: number;
	endOnHostLeave: boolean;
	chat: boolean;
	screenShare: boolean;
	/** Hosts may record (with everyone's consent, rooms/room-recording.ts). */
	recording?: boolean;
}

/** Who connects (from the room token). */
export interface RoomPerson {
	/** Participant key (`customer-<booking>`, `wp-<user>`). */
	key: string;
	name: string;
	role: RoomRole;
	userId: number;
	email: string | null;
}

export interface PeerRecord extends RoomPerson {
	id: string;
}

/** What the room tells the rest of the sidecar (session tracking, logs). */
export interface RoomEvents {
	joined( room: RoomConfig, peer: PeerRecord, at: Date ): void;
	left( room: RoomConfig, peer: PeerRecord, at: Date ): void;
	ended( room: RoomConfig, at: Date, reason: 'host_ended' | 'host_left' ): void;
	quality?( room: RoomConfig, peer: PeerRecord, level: QualityLevel ): void;
	/** A recording take's life: requested, each consent, started/pending, stopped. */
	recording?: RecordingEvents;
}

export interface PeerSession {
	/** A raw text frame from the socket. */
	message( raw: string ): void;
	/** The socket closed (any reason). */
	closed(): void;
}

type PeerState = 'waiting' | 'in';

interface Peer extends PeerRecord {
	state: PeerState;
	conn: RoomConn | null;
	audio: boolean;
	video: boolean;
	screen: boolean;
	/** Removal after a dropped connection, unless it comes back. */
	grace: NodeJS.Timeout | null;
}

interface Room {
	config: RoomConfig;
	peers: Map< string, Peer >;
	/** Participant key → peer id, for the room's life. */
	ids: Map< string, string >;
	/** Participant keys a host let in (a reconnect does not wait again). */
	admitted: Set< string >;
	chat: ServerMessage[];
	/** Whiteboard operations since the last clear (bounded), for newcomers. */
	board: ServerMessage[];
}

const CHAT_HISTORY = 200;
const JOIN_TIMEOUT_MS = 15_000;
const MAX_INVALID = 5;
/** Ended rooms remembered, so a token minted before the end cannot reopen it. */
const ENDED_MEMORY = 10_000;

function newPeerId(): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
	let id = '';
	for ( const b of randomBytes( 12 ) ) {
		id += alphabet[ b % alphabet.length ];
	}
	return `p_${ id }`;
}

function samePassword( given: string | undefined, expected: string ): boolean {
	const a = Buffer.from( given ?? '' );
	const b = Buffer.from( expected );
	return a.length === b.length && timingSafeEqual( a, b );
}

const info = ( p: Peer ): PeerInfo => ( { id: p.id, name: p.name, role: p.role, audio: p.audio, video: p.video, screen: p.screen } );

/** A token bucket: `rate` per second, up to `burst`. */
function bucket( rate: number, burst: number, now: () => number ) {
	let tokens = burst;
	let at = now();
	return () => {
		const t = now();
		tokens = Math.min( burst, tokens + ( ( t - at ) / 1000 ) * rate );
		at = t;
		if ( tokens < 1 ) {
			return false;
		}
		tokens -= 1;
		return true;
	};
}

export interface RoomHubOptions {
	clock: () => Date;
	events: RoomEvents;
	/** Seconds a dropped peer keeps its place (default ROOM_LIMITS.resumeGraceSeconds). */
	resumeGraceSeconds?: number;
	log?: { info( obj: object, msg: string ): void; warn( obj: object, msg: string ): void };
	/** The SFU side (rooms/janus-rooms.ts) when media goes through Janus; absent: peer to peer. */
	media?: RoomMedia;
}

/** Media access that follows who is in the room (the Janus VideoRoom). */
export interface RoomMedia {
	/** Access for a peer now in the room, sent to it as `sfu` (after each `welcome`). */
	grant( room: RoomConfig, peer: PeerRecord ): Promise< SfuAccess >;
	/** The peer left the room (or was removed). */
	revoke( room: RoomConfig, peer: PeerRecord ): void;
	/** The room closed: ended, or the last peer gone. */
	close( room: RoomConfig ): void;
}

export function createRoomHub( options: RoomHubOptions ) {
	const { clock, events } = options;
	const graceMs = ( options.resumeGraceSeconds ?? ROOM_LIMITS.resumeGraceSeconds ) * 1000;
	const rooms = new Map< string, Room >();
	const ended = new Set< string >();
	const monotonic = () => performance.now();

	const send = ( p: Peer, message: ServerMessage ) => p.conn?.send( message );
	const inRoom = ( room: Room ) => [ ...room.peers.values() ].filter( ( p ) => p.state === 'in' );
	const waiting = ( room: Room ) => [ ...room.peers.values() ].filter( ( p ) => p.state === 'waiting' );
	const hosts = ( room: Room ) => inRoom( room ).filter( ( p ) => p.role === 'host' && p.conn );
	const recording = createRoomRecording< Room, Peer >( { inRoom, send, clock, events: events.recording } );

	/** SFU rooms: the peer's Janus access, once it is in (only to this connection, if still current). */
	function grantMedia( room: Room, peer: Peer ) {
		const media = options.media;
		const conn = peer.conn;
		if ( ! media || ! conn ) {
			return;
		}
		media.grant( room.config, peer ).then(
			( access ) => {
				if ( peer.conn === conn && peer.state === 'in' && rooms.get( room.config.roomId ) === room ) {
					send( peer, { type: 'sfu', access } );
				}
			},
			( error: unknown ) => {
				options.log?.warn( { err: error, room: room.config.roomId }, 'sfu access failed' );
				if ( peer.conn === conn ) {
					send( peer, { type: 'error', code: 'sfu_unavailable', message: ROOM_ERROR_MESSAGES.sfu_unavailable, fatal: false } );
				}
			}
		);
	}

	function refuse( conn: RoomConn, code: RoomErrorCode, closeCode: number = ROOM_CLOSE.refused ) {
		conn.send( { type: 'error', code, message: ROOM_ERROR_MESSAGES[ code ], fatal: true } );
		conn.close( closeCode, code );
	}

	/** Tells hosts who waits, and those waiting whether a host is there. */
	function lobbyChanged( room: Room ) {
		const list = waiting( room ).map( ( p ) => ( { id: p.id, name: p.name } ) );
		for ( const h of hosts( room ) ) {
			send( h, { type: 'lobby', waiting: list } );
		}
		const hostPresent = hosts( room ).length > 0;
		for ( const w of waiting( room ) ) {
			send( w, { type: 'waiting', self: info( w ), host_present: hostPresent } );
		}
	}

	function enter( room: Room, peer: Peer ) {
		const fromLobby = peer.state === 'waiting' && room.admitted.has( peer.key );
		peer.state = 'in';
		const others = inRoom( room ).filter( ( p ) => p !== peer );
		send( peer, { type: 'welcome', self: info( peer ), peers: others.map( info ), resumed: false, recording: recording.on( room ) } );
		grantMedia( room, peer );
		for ( const m of room.chat ) {
			send( peer, m );
		}
		for ( const m of room.board ) {
			send( peer, m );
		}
		for ( const o of others ) {
			send( o, { type: 'peer-joined', peer: info( peer ) } );
		}
		events.joined( room.config, peer, clock() );
		recording.entered( room, peer );
		// Hosts get the new list when someone left the lobby; a host coming in learns who waits.
		if ( fromLobby || ( peer.role === 'host' && waiting( room ).length ) ) {
			lobbyChanged( room );
		}
	}

	function remove( room: Room, peer: Peer ) {
		if ( peer.grace ) {
			clearTimeout( peer.grace );
			peer.grace = null;
		}
		if ( room.peers.get( peer.id ) !== peer ) {
			return;
		}
		room.peers.delete( peer.id );
		const wasIn = peer.state === 'in';
		if ( wasIn ) {
			for ( const o of inRoom( room ) ) {
				send( o, { type: 'peer-left', peer: peer.id } );
			}
			events.left( room.config, peer, clock() );
			recording.left( room, peer );
			options.media?.revoke( room.config, peer );
			if ( peer.role === 'host' && room.config.endOnHostLeave && ! inRoom( room ).some( ( p ) => p.role === 'host' ) ) {
				end( room, 'host_left' );
				return;
			}
		}
		// Hosts see the lobby shrink; those waiting see whether a host is still there.
		if ( ! wasIn || peer.role === 'host' ) {
			lobbyChanged( room );
		}
		if ( room.peers.size === 0 ) {
			rooms.delete( room.config.roomId );
			options.media?.close( room.config );
		}
	}

	function end( room: Room, reason: 'host_ended' | 'host_left' ) {
		recording.ended( room );
		rooms.delete( room.config.roomId );
		ended.add( room.config.roomId );
		if ( ended.size > ENDED_MEMORY ) {
			ended.delete( ended.values().next().value as string );
		}
		for ( const p of room.peers.values() ) {
			if ( p.grace ) {
				clearTimeout( p.grace );
			}
			send( p, { type: 'ended', reason } );
			p.conn?.close( ROOM_CLOSE.ended, reason );
			p.conn = null;
		}
		const wereIn = inRoom( room );
		room.peers.clear();
		const at = clock();
		for ( const p of wereIn ) {
			events.left( room.config, p, at );
		}
		events.ended( room.config, at, reason );
		options.media?.close( room.config );
	}

	return {
		/** Rooms open on this instance and the people in them. */
		stats() {
			let peers = 0;
			for ( const r of rooms.values() ) {
				peers += r.peers.size;
			}
			return { rooms: rooms.size, peers };
		},

		/** The room's recording take, if one is open (the upload route checks it; rooms/room-recording.ts). */
		recordingOf( roomId: string ) {
			return recording.current( roomId );
		},

		/** Whether the room was ended (a new connection is refused). */
		hasEnded( roomId: string ) {
			return ended.has( roomId );
		},

		/** The person (participant key) when they are in the room on this instance: admitted, not waiting. */
		present( roomId: string, key: string ): PeerRecord | null {
			const room = rooms.get( roomId );
			const peer = room ? room.peers.get( room.ids.get( key ) ?? '' ) : undefined;
			return peer && peer.state === 'in' ? { key: peer.key, name: peer.name, role: peer.role, userId: peer.userId, email: peer.email, id: peer.id } : null;
		},

		/** Tells everyone in the room that `key` shared a file (rooms/room-files.ts); kept with the chat for later arrivals. */
		fileShared( roomId: string, key: string, file: { id: number; name: string; size: number; mime: string } ): boolean {
			const room = rooms.get( roomId );
			const peer = room ? room.peers.get( room.ids.get( key ) ?? '' ) : undefined;
			if ( ! room || ! peer || peer.state !== 'in' ) {
				return false;
			}
			const message: ServerMessage = { type: 'file-shared', ...file, from: peer.id, from_name: peer.name, at: clock().toISOString() };
			room.chat.push( message );
			if ( room.chat.length > CHAT_HISTORY ) {
				room.chat.shift();
			}
			for ( const p of inRoom( room ) ) {
				send( p, message );
			}
			return true;
		},

		/** Closes every room (shutdown): peers may reconnect to another instance. */
		closeAll() {
			for ( const room of rooms.values() ) {
				for ( const p of room.peers.values() ) {
					if ( p.grace ) {
						clearTimeout( p.grace );
					}
					const c = p.conn;
					p.conn = null;
					c?.close( 1012, 'restarting' );
				}
			}
			rooms.clear();
		},

		/** A new connection of `person` to the room `config`: it must send `join` first. */
		attach( config: RoomConfig, person: RoomPerson, conn: RoomConn ): PeerSession {
			let peer: Peer | null = null;
			let room: Room | null = null;
			let invalid = 0;
			let gone = false;
			const allow = bucket( ROOM_LIMITS.messagesPerSecond, ROOM_LIMITS.burst, monotonic );
			const allowChat = bucket( ROOM_LIMITS.chatPer10s / 10, ROOM_LIMITS.chatPer10s, monotonic );
			const joinTimer = setTimeout( () => {
				if ( ! peer && ! gone ) {
					gone = true;
					conn.close( ROOM_CLOSE.refused, 'join timeout' );
				}
			}, JOIN_TIMEOUT_MS );
			joinTimer.unref?.();

			const error = ( code: RoomErrorCode ) => conn.send( { type: 'error', code, message: ROOM_ERROR_MESSAGES[ code ], fatal: false } );

			function join( password: string | undefined, history = false ) {
				if ( ended.has( config.roomId ) ) {
					refuse( conn, 'meeting_ended', ROOM_CLOSE.ended );
					return;
				}
				if ( config.password !== null && person.role !== 'host' && ! samePassword( password, config.password ) ) {
					refuse( conn, 'room_password_wrong' );
					return;
				}
				room = rooms.get( config.roomId ) ?? null;
				if ( ! room ) {
					room = { config, peers: new Map(), ids: new Map(), admitted: new Set(), chat: [], board: [] };
					rooms.set( config.roomId, room );
				} else {
					// Settings may have changed since the room opened: the newest connection's view wins.
					room.config = { ...config };
				}
				const id = room.ids.get( person.key ) ?? newPeerId();
				room.ids.set( person.key, id );
				const existing = room.peers.get( id );
				if ( existing ) {
					// The same person again: another tab, or a reconnect after a drop.
					if ( existing.conn ) {
						existing.conn.send( { type: 'error', code: 'room_replaced', message: ROOM_ERROR_MESSAGES.room_replaced, fatal: true } );
						existing.conn.close( ROOM_CLOSE.replaced, 'replaced' );
					}
					if ( existing.grace ) {
						clearTimeout( existing.grace );
						existing.grace = null;
					}
					existing.conn = conn;
					existing.name = person.name;
					peer = existing;
					if ( existing.state === 'in' ) {
						const others = inRoom( room ).filter( ( p ) => p !== existing );
						conn.send( { type: 'welcome', self: info( existing ), peers: others.map( info ), resumed: true, recording: recording.on( room ) } );
						// A reloaded page keeps its place but has lost what was said and drawn.
						if ( history ) {
							for ( const m of [ ...room.chat, ...room.board ] ) {
								conn.send( m );
							}
						}
						grantMedia( room, existing );
						recording.entered( room, existing );
						if ( existing.role === 'host' ) {
							lobbyChanged( room );
						}
					} else {
						lobbyChanged( room );
					}
					return;
				}
				if ( inRoom( room ).length >= config.maxParticipants ) {
					refuse( conn, 'room_full' );
					if ( room.peers.size === 0 ) {
						rooms.delete( config.roomId );
					}
					return;
				}
				peer = { ...person, id, state: 'waiting', conn, audio: true, video: true, screen: false, grace: null };
				room.peers.set( id, peer );
				if ( person.role === 'host' || ! config.waitingRoom || room.admitted.has( person.key ) ) {
					enter( room, peer );
				} else {
					lobbyChanged( room );
				}
			}

			function handle( message: ClientMessage ) {
				if ( message.type === 'ping' ) {
					conn.send( { type: 'pong' } );
					return;
				}
				if ( ! peer || ! room ) {
					if ( message.type === 'join' ) {
						join( message.password, message.history === true );
					} else {
						error( 'invalid_message' );
					}
					return;
				}
				const self = peer;
				const r = room;
				switch ( message.type ) {
					case 'join':
						return;
					case 'leave':
						gone = true;
						remove( r, self );
						conn.close( 1000, 'left' );
						return;
					case 'signal': {
						const target = r.peers.get( message.to );
						if ( self.state !== 'in' || ! target || target.state !== 'in' ) {
							return;
						}
						send( target, { type: 'signal', from: self.id, ...( message.description ? { description: message.description } : {} ), ...( message.candidate !== undefined ? { candidate: message.candidate } : {} ) } );
						return;
					}
					case 'chat': {
						if ( self.state !== 'in' || ! r.config.chat ) {
							error( 'forbidden' );
							return;
						}
						if ( ! allowChat() ) {
							error( 'rate_limited' );
							return;
						}
						const chat: ServerMessage = { type: 'chat', from: self.id, name: self.name, text: message.text, at: clock().toISOString() };
						r.chat.push( chat );
						if ( r.chat.length > CHAT_HISTORY ) {
							r.chat.shift();
						}
						for ( const p of inRoom( r ) ) {
							send( p, chat );
						}
						return;
					}
					case 'board': {
						if ( self.state !== 'in' ) {
							error( 'forbidden' );
							return;
						}
						const op: ServerMessage = { type: 'board', from: self.id, op: message.op };
						if ( message.op.kind === 'clear' ) {
							r.board = [];
						} else if ( r.board.length >= BOARD_HISTORY ) {
							// A full board keeps what is drawn, minus its oldest strokes.
							r.board.shift();
						}
						if ( message.op.kind !== 'clear' ) {
							r.board.push( op );
						}
						for ( const p of inRoom( r ) ) {
							if ( p !== self ) {
								send( p, op );
							}
						}
						return;
					}
					case 'media': {
						if ( self.state !== 'in' ) {
							return;
						}
						self.audio = message.audio;
						self.video = message.video;
						self.screen = message.screen && r.config.screenShare;
						for ( const p of inRoom( r ) ) {
							if ( p !== self ) {
								send( p, { type: 'media', peer: self.id, audio: self.audio, video: self.video, screen: self.screen } );
							}
						}
						return;
					}
					case 'quality': {
						if ( self.state !== 'in' ) {
							return;
						}
						for ( const p of inRoom( r ) ) {
							if ( p !== self ) {
								send( p, { type: 'connection-quality-changed', peer: self.id, level: message.level } );
							}
						}
						events.quality?.( r.config, self, message.level );
						return;
					}
					case 'admit':
					case 'deny': {
						if ( self.role !== 'host' || self.state !== 'in' ) {
							error( 'forbidden' );
							return;
						}
						const target = r.peers.get( message.peer );
						if ( ! target || target.state !== 'waiting' ) {
							return;
						}
						if ( message.type === 'admit' ) {
							r.admitted.add( target.key );
							enter( r, target );
						} else {
							const c = target.conn;
							r.peers.delete( target.id );
							if ( c ) {
								refuse( c, 'room_denied' );
							}
							target.conn = null;
							lobbyChanged( r );
						}
						return;
					}
					case 'record': {
						const refused = self.state === 'in' ? recording.record( r, self, message.action ) : 'forbidden';
						if ( refused ) {
							error( refused );
						}
						return;
					}
					case 'consent': {
						if ( self.state === 'in' ) {
							recording.consent( r, self );
						}
						return;
					}
					case 'end': {
						if ( self.role !== 'host' ) {
							error( 'forbidden' );
							return;
						}
						end( r, 'host_ended' );
						return;
					}
				}
			}

			return {
				message( raw: string ) {
					if ( gone ) {
						return;
					}
					if ( ! allow() ) {
						error( 'rate_limited' );
						return;
					}
					let parsed: unknown;
					try {
						parsed = JSON.parse( raw );
					} catch {
						parsed = undefined;
					}
					const result = ClientMessageSchema.safeParse( parsed );
					if ( ! result.success ) {
						invalid++;
						if ( invalid >= MAX_INVALID ) {
							gone = true;
							refuse( conn, 'invalid_message', ROOM_CLOSE.abuse );
							this.closed();
							return;
						}
						error( 'invalid_message' );
						return;
					}
					handle( result.data );
				},

				closed() {
					clearTimeout( joinTimer );
					gone = true;
					const p = peer;
					const r = room;
					if ( ! p || ! r || p.conn !== conn ) {
						// Never joined, or replaced by a newer connection of the same person.
						return;
					}
					p.conn = null;
					if ( p.state === 'waiting' ) {
						remove( r, p );
						return;
					}
					if ( r.peers.get( p.id ) === p ) {
						p.grace = setTimeout( () => remove( r, p ), graceMs );
						p.grace.unref?.();
					}
				},
			};
		},
	};
}

export type RoomHub = ReturnType< typeof createRoomHub >;

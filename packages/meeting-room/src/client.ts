/**
 * RoomClient: the signaling socket, one peer connection per remote peer, and local media, behind
 * an event emitter. No DOM beyond the media APIs; the UI renders its fields on `change`.
 *
 * Flow (contracts/room.ts): load() gets a ticket (preflight) → join() opens the socket and sends
 * `join` → `welcome` (the newcomer offers to every listed peer) or `waiting`. A dropped socket is
 * reopened with backoff and a fresh ticket; `welcome.resumed` keeps the peer connections (ICE
 * restart with the new TURN credentials), otherwise they are rebuilt.
 */

/**
 * Internal dependencies
 */
import {
	BOARD_HISTORY,
	CHAT_MAX_LENGTH,
	ROOM_CLOSE,
} from '@bkx-video/contracts/room-constants';
import type {
	BoardOp,
	PeerInfo,
	QualityLevel,
	RoomTicket,
} from '@bkx-video/contracts';
import { Emitter } from './emitter';
import type { MediaDevicesLike, MediaKind } from './media';
import { canShareScreen } from './media';
import { LocalMediaController } from './local-media';
import { PeerLink } from './peers';
import type { RecordingTake } from './recording-state';
import { NO_RECORDING, nextRecording } from './recording-state';
import { SfuSession } from './sfu';
import type { ClientMessage, ServerMessage } from './protocol';
import { signalingUrl } from './protocol';
import {
	LIMITATION_WARMUP_MS,
	judgedSample,
	nextQuality,
	readSample,
	sendProfile,
	worstLevel,
} from './quality';
import type { StatsLike } from './quality';
import {
	RECONNECT,
	backoffDelay,
	closeAllowsReconnect,
	isFinalTicketError,
} from './reconnect';
import type { SocketFactory } from './signaling';
import { SignalingSocket } from './signaling';
import type {
	ChatMessage,
	ConnectionStatus,
	LobbyEntry,
	LocalMedia,
	RemotePeer,
	RoomClientEvents,
	RoomPhase,
	RoomProblem,
	RoomStats,
} from './types';

export interface RoomClientOptions {
	/** A fresh ticket from REST; rejects with `{ code, message }` (WordPress error shape). */
	getTicket: () => Promise< RoomTicket >;
	/** Seams for tests; the browser's globals by default. */
	createSocket?: SocketFactory;
	createPeerConnection?: ( config: RTCConfiguration ) => RTCPeerConnection;
	createStream?: ( tracks: MediaStreamTrack[] ) => MediaStream;
	mediaDevices?: MediaDevicesLike | null;
	now?: () => number;
	random?: () => number;
	log?: ( message: string, error?: unknown ) => void;
}

/** Quality is read this often (and unanswered offers / dead ICE checked). */
export const STATS_INTERVAL_MS = 2_000;
/** A ticket kept from the preflight is used for the first connect if it is valid this much longer. */
const TICKET_MARGIN_MS = 30_000;
/** Chat messages kept in memory. */
const CHAT_KEEP = 500;

/**
 * The problem a rejected `getTicket()` carries.
 * @param thrown What the promise rejected with.
 */
export function ticketProblem(
	thrown: unknown
): RoomProblem & { status?: number } {
	const e = (
		typeof thrown === 'object' && thrown !== null ? thrown : {}
	) as {
		code?: unknown;
		message?: unknown;
		status?: unknown;
		data?: { status?: unknown };
	};
	const status = Number( e.data?.status ?? e.status ) || undefined;
	return {
		code: typeof e.code === 'string' && e.code ? e.code : 'fetch_error',
		...( typeof e.message === 'string' && e.message
			? { message: e.message }
			: {} ),
		...( status ? { status } : {} ),
	};
}

export class RoomClient extends Emitter< RoomClientEvents > {
	phase: RoomPhase = 'idle';
	connection: ConnectionStatus = 'idle';
	ticket: RoomTicket | null = null;
	/** How long the first `getTicket()` took: the preflight's "path to the server". */
	ticketLatencyMs: number | null = null;
	self: PeerInfo | null = null;
	readonly peers = new Map< string, RemotePeer >();
	/** Hosts: who is in the waiting room. */
	lobby: LobbyEntry[] = [];
	/** Waiting room: whether a host is there to admit. */
	hostPresent: boolean | null = null;
	chat: ChatMessage[] = [];
	/** The whiteboard since its last clear: every stroke (own ones too), in drawing order. */
	board: BoardOp[] = [];
	/** Whether this page was ever let in (a first join asks the room for its history). */
	#welcomed = false;
	/** Media is being recorded: everyone in the room consented (recording-state.ts). */
	recording = false;
	/** The room's recording take (on, or waiting for consent), null when none. */
	recordingTake: RecordingTake | null = null;
	/** A take this person was asked to consent to and has not answered (the consent dialog). */
	consentRequest: string | null = null;
	/** What to explain on the current screen (refusal, wrong password, lost connection…). */
	problem: RoomProblem | null = null;
	/** Why the room was left: `left`, an `ended` reason, or an error code. */
	exitReason: string | null = null;
	/** When the first remote peer was there (viewer clock): the timer's zero. */
	startedAt: number | null = null;
	/** Worst measured quality over the peer connections. */
	quality: QualityLevel = 'good';

	#o: Required< Omit< RoomClientOptions, 'mediaDevices' | 'log' > > &
		Pick< RoomClientOptions, 'log' >;
	#devices: MediaDevicesLike | null;
	#media: LocalMediaController;
	#links = new Map< string, PeerLink >();
	/** SFU rooms (ticket `sfu`): the Janus session instead of the mesh links. */
	#sfu: SfuSession | null = null;
	#socket: SignalingSocket | null = null;
	#generation = 0;
	#attempts = 0;
	#reconnectTimer: ReturnType< typeof setTimeout > | undefined;
	#statsTimer: ReturnType< typeof setInterval > | undefined;
	#sampling = false;
	#qualitySent: QualityLevel = 'good';
	#password: string | undefined;
	/** The ticket in `ticket` has not opened a socket yet. */
	#ticketUnused = false;
	#tokenRetried = false;
	#chatSeq = 0;
	#destroyed = false;

	/**
	 * @param options getTicket plus optional seams.
	 */
	constructor( options: RoomClientOptions ) {
		super();
		this.#o = {
			getTicket: options.getTicket,
			createSocket:
				options.createSocket ??
				( ( url ) =>
					new WebSocket(
						url
					) as unknown as ReturnType< SocketFactory > ),
			createPeerConnection:
				options.createPeerConnection ??
				( ( config ) => new RTCPeerConnection( config ) ),
			createStream:
				options.createStream ??
				( ( tracks ) => new MediaStream( tracks ) ),
			now: options.now ?? Date.now,
			random: options.random ?? Math.random,
			log: options.log,
		};
		this.#devices =
			options.mediaDevices !== undefined
				? options.mediaDevices
				: ( globalThis.navigator?.mediaDevices ?? null );
		this.#media = new LocalMediaController( {
			devices: this.#devices,
			createStream: this.#o.createStream,
			onSendTrack: ( kind, track ) => {
				this.#forEachLink( ( link ) =>
					link.replaceTrack( kind, track )
				);
				this.#sfu?.replaceTrack( kind, track );
			},
			onChange: () => {
				this.#sendMedia();
				this.emit( 'change', 'local' );
			},
			onNotice: ( code ) => this.emit( 'notice', { code } ),
		} );
	}

	/** The `room` part of the ticket, once loaded. */
	get room(): RoomTicket[ 'room' ] | null {
		return this.ticket?.room ?? null;
	}

	get isHost(): boolean {
		return this.ticket?.room.role === 'host';
	}

	get canShareScreen(): boolean {
		return (
			!! this.ticket?.room.screen_share_enabled &&
			canShareScreen( this.#devices )
		);
	}

	/** Gets the first ticket (room title, name, options) and moves to `preflight`. */
	async load(): Promise< void > {
		if (
			[ 'loading', 'connecting', 'waiting', 'joined' ].includes(
				this.phase
			)
		) {
			return;
		}
		this.problem = null;
		this.#setPhase( 'loading' );
		try {
			const started = this.#o.now();
			const ticket = await this.#o.getTicket();
			// Includes the sidecar behind WordPress: the preflight's "path to the server".
			this.ticketLatencyMs = this.#o.now() - started;
			if ( this.#destroyed ) {
				return;
			}
			this.ticket = ticket;
			this.#ticketUnused = true;
			this.#setPhase( 'preflight' );
		} catch ( thrown ) {
			this.problem = ticketProblem( thrown );
			this.#setPhase( 'unavailable' );
		}
	}

	/**
	 * Enters the room from the preflight (the person clicked Join).
	 * @param password The meeting password when `room.password_required`.
	 */
	join( password?: string ): void {
		if ( this.phase !== 'preflight' || this.#destroyed ) {
			return;
		}
		this.#password = password ? password : undefined;
		this.problem = null;
		this.#attempts = 0;
		this.#tokenRetried = false;
		this.#setPhase( 'connecting' );
		void this.#connect();
	}

	/** After "connection lost" (or to skip the wait between tries): try again now. */
	retry(): void {
		if ( ! [ 'connecting', 'waiting', 'joined' ].includes( this.phase ) ) {
			return;
		}
		if ( this.connection === 'lost' ) {
			this.#attempts = 0;
		}
		if (
			this.connection === 'lost' ||
			this.connection === 'reconnecting'
		) {
			void this.#connect();
		}
	}

	/** Leaves the room (others stay); the local camera and microphone are released. */
	leave(): void {
		if ( [ 'idle', 'ended', 'left', 'refused' ].includes( this.phase ) ) {
			return;
		}
		this.#send( { type: 'leave' } );
		this.#finish( 'left', null, 'left' );
	}

	/**
	 * Hosts: asks everyone to consent to a recording (`start`), or stops it. The host's browser
	 * records only once the server says `recording-started` (ui/recording.ts).
	 * @param action Start or stop.
	 * @return Whether it was sent.
	 */
	record( action: 'start' | 'stop' ): boolean {
		return this.#send( { type: 'record', action } );
	}

	/** Agrees to be recorded (the consent dialog's "Allow recording"). */
	consentToRecording(): void {
		if (
			this.consentRequest &&
			this.#send( { type: 'consent', recording: true } )
		) {
			this.consentRequest = null;
			this.emit( 'change', 'recording' );
		}
	}

	/** A fresh ticket from REST (the recorder opens its upload with its token). */
	freshTicket(): Promise< RoomTicket > {
		return this.#o.getTicket();
	}

	/** Hosts: ends the consultation for everybody (the server answers with `ended`). */
	end(): void {
		if ( ! this.#send( { type: 'end' } ) ) {
			this.emit( 'notice', { code: 'connection_lost' } );
		}
	}

	/**
	 * Hosts: lets a waiting person in.
	 * @param peer Their id from `lobby`.
	 */
	admit( peer: string ): void {
		this.#send( { type: 'admit', peer } );
	}

	/**
	 * Hosts: turns a waiting person away.
	 * @param peer Their id from `lobby`.
	 */
	deny( peer: string ): void {
		this.#send( { type: 'deny', peer } );
	}

	/**
	 * Sends a chat message (shown at once, marked pending until the server echoes it).
	 * @param text Message; trimmed, at most CHAT_MAX_LENGTH characters.
	 * @return Whether it was sent.
	 */
	sendChat( text: string ): boolean {
		const trimmed = text.trim();
		if (
			! trimmed ||
			trimmed.length > CHAT_MAX_LENGTH ||
			! this.ticket?.room.chat_enabled ||
			! this.self ||
			! this.#send( { type: 'chat', text: trimmed } )
		) {
			return false;
		}
		this.#pushChat( {
			key: `c${ ++this.#chatSeq }`,
			from: this.self.id,
			name: this.self.name,
			text: trimmed,
			at: new Date( this.#o.now() ).toISOString(),
			own: true,
			pending: true,
		} );
		return true;
	}

	/**
	 * Draws on the shared whiteboard (a stroke part or a clear): kept here and sent to the others.
	 * @param op The operation (points as fractions of the board).
	 * @return Whether it was sent (in the room, socket open).
	 */
	drawBoard( op: BoardOp ): boolean {
		if (
			! this.self ||
			this.phase !== 'joined' ||
			! this.#send( { type: 'board', op } )
		) {
			return false;
		}
		this.#applyBoard( op );
		return true;
	}

	#applyBoard( op: BoardOp ): void {
		if ( op.kind === 'clear' ) {
			this.board = [];
		} else {
			this.board.push( op );
			if ( this.board.length > BOARD_HISTORY ) {
				this.board.shift();
			}
		}
		this.emit( 'change', 'board' );
	}

	/** Own camera, microphone and screen. */
	get local(): LocalMedia {
		return this.#media.state;
	}

	/**
	 * Starts (or restarts) camera and microphone with the chosen devices.
	 * @return Capture problem codes (empty when both work).
	 */
	startLocalMedia(): Promise< string[] > {
		return this.#media.start();
	}

	/**
	 * Switches to another camera or microphone.
	 * @param kind     Audio or video.
	 * @param deviceId From `enumerateDevices()`.
	 * @return A problem code, or null on success.
	 */
	switchDevice(
		kind: MediaKind,
		deviceId: string
	): Promise< string | null > {
		return this.#media.switchDevice( kind, deviceId );
	}

	/**
	 * Chooses the speaker for remote audio (the UI applies it with `setSinkId`).
	 * @param deviceId An `audiooutput` device id.
	 */
	setAudioOutput( deviceId: string ): void {
		this.#media.setAudioOutput( deviceId );
	}

	/**
	 * Mutes or unmutes the microphone (`track.enabled`; peers are told with `media`).
	 * @param on Microphone on.
	 */
	setAudioEnabled( on: boolean ): void {
		this.#media.setAudioEnabled( on );
	}

	/**
	 * Turns the camera on or off (`track.enabled`; peers are told with `media`).
	 * @param on Camera on.
	 */
	setVideoEnabled( on: boolean ): void {
		this.#media.setVideoEnabled( on );
	}

	/**
	 * Shares a screen in place of the camera (`replaceTrack`, no renegotiation). Call from a click.
	 * @return `screen_share_failed`, or null (shared, or the picker was cancelled).
	 */
	startScreenShare(): Promise< string | null > {
		if ( ! this.canShareScreen ) {
			return Promise.resolve( null );
		}
		return this.#media.startScreenShare(
			() =>
				! this.#destroyed &&
				[ 'joined', 'waiting' ].includes( this.phase )
		);
	}

	/** Back from the screen to the camera. */
	stopScreenShare(): void {
		this.#media.stopScreenShare();
	}

	/** The peer connections by remote peer id (browser tests read their stats). */
	peerConnections(): Map< string, RTCPeerConnection > {
		return new Map( [
			...[ ...this.#links ].map(
				( [ id, link ] ) => [ id, link.pc ] as const
			),
			...( this.#sfu?.peerConnections() ?? [] ),
		] );
	}

	/** The latest quality figures per peer connection. */
	stats(): RoomStats {
		return {
			phase: this.phase,
			connection: this.connection,
			selfId: this.self?.id ?? null,
			quality: this.quality,
			peers: [ ...this.#links ].map( ( [ id, link ] ) => ( {
				id,
				name: this.peers.get( id )?.info.name ?? '',
				polite: link.polite,
				quality: link.quality.level,
				reportedQuality: this.peers.get( id )?.reportedQuality ?? null,
				connectionState: link.pc.connectionState,
				iceConnectionState: link.pc.iceConnectionState,
				signalingState: link.pc.signalingState,
				sample: link.sample,
			} ) ),
		};
	}

	/** Closes everything without telling the room (the page is going away); no events after. */
	destroy(): void {
		if ( this.#destroyed ) {
			return;
		}
		this.#teardown();
		this.#media.stop();
		this.#destroyed = true;
		this.removeAllListeners();
	}

	// ── Connection ────────────────────────────────────────────────────────────

	async #connect(): Promise< void > {
		const generation = ++this.#generation;
		clearTimeout( this.#reconnectTimer );
		this.#socket?.close();
		this.#socket = null;
		this.#setConnection(
			this.phase === 'connecting' && this.#attempts === 0
				? 'connecting'
				: 'reconnecting'
		);
		let ticket = this.ticket;
		const usable =
			ticket &&
			this.#ticketUnused &&
			Date.parse( ticket.expires_at ) - this.#o.now() > TICKET_MARGIN_MS;
		if ( ! usable ) {
			try {
				ticket = await this.#o.getTicket();
			} catch ( thrown ) {
				if ( generation !== this.#generation || this.#destroyed ) {
					return;
				}
				const problem = ticketProblem( thrown );
				if ( isFinalTicketError( problem.code, problem.status ) ) {
					const ended = problem.code === 'meeting_ended';
					this.#finish(
						ended ? 'ended' : 'refused',
						problem,
						problem.code
					);
				} else {
					this.problem = problem;
					this.#scheduleReconnect();
				}
				return;
			}
			if ( generation !== this.#generation || this.#destroyed ) {
				return;
			}
		}
		if ( ! ticket ) {
			return;
		}
		this.ticket = ticket;
		this.#ticketUnused = false;
		this.#socket = new SignalingSocket(
			signalingUrl( ticket ),
			this.#o.createSocket,
			{
				onOpen: () =>
					this.#send(
						this.#password === undefined
							? { type: 'join', history: ! this.#welcomed }
							: {
									type: 'join',
									password: this.#password,
									history: ! this.#welcomed,
								}
					),
				onMessage: ( message ) => this.#onMessage( message ),
				onClose: ( code ) => this.#onSocketClosed( code ),
			},
			this.#o.now
		);
	}

	#onSocketClosed( code: number ): void {
		this.#socket = null;
		if ( ! this.#isActive() ) {
			return;
		}
		if ( ! closeAllowsReconnect( code ) ) {
			// The `error` or `ended` message normally comes first; this covers its absence.
			if ( code === ROOM_CLOSE.ended ) {
				this.#finish( 'ended', null, 'closed' );
			} else {
				const problem = {
					code:
						code === ROOM_CLOSE.replaced
							? 'room_replaced'
							: 'room_refused',
				};
				this.#finish( 'refused', problem, problem.code );
			}
			return;
		}
		this.#scheduleReconnect();
	}

	#scheduleReconnect(): void {
		if ( this.#attempts >= RECONNECT.maxAttempts ) {
			this.problem ??= { code: 'connection_lost' };
			this.#setConnection( 'lost' );
			this.emit( 'change', 'problem' );
			return;
		}
		// ±10 % so a room whose server restarted does not come back all at the same instant.
		const delay =
			backoffDelay( this.#attempts ) * ( 0.9 + 0.2 * this.#o.random() );
		this.#attempts++;
		this.#setConnection( 'reconnecting' );
		clearTimeout( this.#reconnectTimer );
		this.#reconnectTimer = setTimeout( () => void this.#connect(), delay );
	}

	#send( message: ClientMessage ): boolean {
		return this.#socket?.send( message ) ?? false;
	}

	// ── Messages ──────────────────────────────────────────────────────────────

	#onMessage( m: ServerMessage ): void {
		if ( ! this.#isActive() ) {
			return;
		}
		switch ( m.type ) {
			case 'welcome':
				this.#onWelcome( m );
				break;
			case 'waiting':
				this.#attempts = 0;
				this.#tokenRetried = false;
				this.problem = null;
				this.self = m.self;
				this.hostPresent = m.host_present;
				if ( this.phase === 'joined' ) {
					this.#closeLinks();
				}
				this.#setConnection( 'open' );
				this.#setPhase( 'waiting' );
				this.emit( 'change', 'waiting' );
				break;
			case 'lobby':
				this.lobby = m.waiting;
				this.emit( 'change', 'lobby' );
				break;
			case 'peer-joined':
				if ( this.phase !== 'joined' || m.peer.id === this.self?.id ) {
					break;
				}
				// Known already: that peer has a new connection (reload); ours to it is stale.
				this.#removePeer( m.peer.id, false );
				this.#addPeer( m.peer, false );
				this.startedAt ??= this.#o.now();
				if ( this.lobby.some( ( w ) => w.id === m.peer.id ) ) {
					// Admitted: out of the lobby even if no new `lobby` list follows.
					this.lobby = this.lobby.filter(
						( w ) => w.id !== m.peer.id
					);
					this.emit( 'change', 'lobby' );
				}
				this.emit( 'peer-joined', m.peer );
				this.emit( 'change', 'peers' );
				break;
			case 'peer-left':
				this.#removePeer( m.peer, true );
				break;
			case 'signal':
				this.#onSignal( m );
				break;
			case 'chat':
				this.#onChat( m );
				break;
			case 'file-shared':
				this.#onFileShared( m );
				break;
			case 'board':
				this.#applyBoard( m.op );
				break;
			case 'media': {
				const peer = this.peers.get( m.peer );
				if ( peer ) {
					peer.info = {
						...peer.info,
						audio: m.audio,
						video: m.video,
						screen: m.screen,
					};
					this.emit( 'change', 'peers' );
				}
				break;
			}
			case 'connection-quality-changed': {
				const peer = this.peers.get( m.peer );
				if ( peer ) {
					peer.reportedQuality = m.level;
					this.emit( 'change', 'peers' );
				}
				break;
			}
			case 'recording-consent-requested':
			case 'recording-pending':
			case 'recording-started':
			case 'recording-stopped':
				this.#setRecording(
					nextRecording(
						{
							recording: this.recording,
							take: this.recordingTake,
							consentRequest: this.consentRequest,
						},
						m
					)
				);
				break;
			case 'ended':
				this.#finish( 'ended', null, m.reason );
				break;
			case 'error':
				this.#onError( { code: m.code, message: m.message }, m.fatal );
				break;
			case 'pong':
				break;
			case 'sfu':
				this.#onSfu( m.access );
				break;
		}
	}

	/**
	 * SFU rooms: our Janus access came (after `welcome`). A session still running keeps going (a
	 * resumed socket); otherwise a new one publishes and watches everyone.
	 * @param access From the hub.
	 */
	#onSfu(
		access: Extract< ServerMessage, { type: 'sfu' } >[ 'access' ]
	): void {
		if ( this.phase !== 'joined' || ! this.ticket?.sfu ) {
			return;
		}
		if (
			this.#sfu &&
			! this.#sfu.closed &&
			this.#sfu.access.room === access.room
		) {
			return;
		}
		this.#sfu?.close();
		const session = new SfuSession( {
			access,
			config: this.#rtcConfig(),
			createPeerConnection: this.#o.createPeerConnection,
			createStream: this.#o.createStream,
			localTrack: ( kind ) => this.#media.sendTrack( kind ),
			onStream: ( id, stream ) => {
				const peer = this.peers.get( id );
				if ( peer && this.#sfu === session ) {
					peer.stream = stream;
					peer.connectionState =
						session.peerConnections().get( id )?.connectionState ??
						'new';
					this.emit( 'change', 'peers' );
				}
			},
			onFailed: ( error ) => {
				this.#o.log?.( '[bkx-room] sfu session lost', error );
				if ( this.#sfu === session && this.#isActive() ) {
					this.emit( 'notice', { code: 'sfu_unavailable' } );
				}
			},
			log: this.#o.log,
		} );
		this.#sfu = session;
		session.start().catch( ( error: unknown ) => {
			this.#o.log?.( '[bkx-room] sfu start failed', error );
			if ( this.#sfu === session ) {
				session.close();
				this.emit( 'notice', { code: 'sfu_unavailable' } );
			}
		} );
	}

	#onWelcome( m: Extract< ServerMessage, { type: 'welcome' } > ): void {
		this.#welcomed = true;
		this.#attempts = 0;
		this.#tokenRetried = false;
		this.problem = null;
		this.self = m.self;
		this.hostPresent = null;
		const config = this.#rtcConfig();
		if ( ! m.resumed ) {
			this.#closeLinks();
			this.#qualitySent = 'good';
			// The room replays its whiteboard after a fresh welcome.
			this.board = [];
		}
		const listed = new Set( m.peers.map( ( p ) => p.id ) );
		for ( const id of [ ...this.peers.keys() ] ) {
			if ( ! listed.has( id ) ) {
				this.#removePeer( id, true );
			}
		}
		for ( const info of m.peers ) {
			const peer = this.peers.get( info.id );
			const link = this.#links.get( info.id );
			if ( peer && link ) {
				peer.info = info;
				link.resume( config );
			} else {
				// The newcomer offers to everyone already there.
				this.#addPeer( info, true );
			}
		}
		if ( this.peers.size > 0 ) {
			this.startedAt ??= this.#o.now();
		}
		this.#setConnection( 'open' );
		if ( ! m.recording && this.recordingTake ) {
			// Stopped while this side was away: the server's `recording-*` follows when it is on.
			this.#setRecording( NO_RECORDING );
		}
		this.#setPhase( 'joined' );
		// `join` carries no media state: tell the room right away (muted before joining…).
		this.#sendMedia();
		this.#startStats();
		this.emit( 'change', 'peers' );
	}

	#onSignal( m: Extract< ServerMessage, { type: 'signal' } > ): void {
		if ( this.phase !== 'joined' || this.ticket?.sfu ) {
			return;
		}
		if ( ! this.#links.has( m.from ) ) {
			// An offer from someone the server has not announced (yet): answer anyway.
			this.#addPeer(
				{
					id: m.from,
					name: '',
					role: 'participant',
					audio: true,
					video: true,
					screen: false,
				},
				false
			);
			this.emit( 'change', 'peers' );
		}
		void this.#links.get( m.from )?.handleSignal( {
			description: m.description,
			candidate: m.candidate,
		} );
	}

	#onChat( m: Extract< ServerMessage, { type: 'chat' } > ): void {
		const own = m.from === this.self?.id;
		if ( own ) {
			const pending = this.chat.find(
				( c ) => c.pending && c.text === m.text
			);
			if ( pending ) {
				pending.pending = false;
				pending.at = m.at;
				this.emit( 'change', 'chat' );
				return;
			}
		}
		// A server replays its recent chat on (re)entry: skip what is shown already.
		if (
			this.chat.some(
				( c ) => c.from === m.from && c.at === m.at && c.text === m.text
			)
		) {
			return;
		}
		this.#pushChat( {
			key: `c${ ++this.#chatSeq }`,
			from: m.from,
			name: m.name,
			text: m.text,
			at: m.at,
			own,
			pending: false,
		} );
	}

	/**
	 * A shared file shows in the chat as its download (once, even when the server replays it).
	 * @param m The `file-shared` message.
	 */
	#onFileShared(
		m: Extract< ServerMessage, { type: 'file-shared' } >
	): void {
		if ( this.chat.some( ( c ) => c.file?.id === m.id ) ) {
			return;
		}
		this.#pushChat( {
			key: `f${ m.id }`,
			from: m.from,
			name: m.from_name,
			text: m.name,
			at: m.at,
			own: m.from === this.self?.id,
			pending: false,
			file: { id: m.id, name: m.name, size: m.size, mime: m.mime },
		} );
	}

	#pushChat( message: ChatMessage ): void {
		this.chat.push( message );
		if ( this.chat.length > CHAT_KEEP ) {
			this.chat.splice( 0, this.chat.length - CHAT_KEEP );
		}
		this.emit( 'chat', message );
		this.emit( 'change', 'chat' );
	}

	#onError( problem: RoomProblem, fatal: boolean ): void {
		if ( ! fatal ) {
			this.emit( 'notice', problem );
			return;
		}
		// The socket closes after a fatal error; act now rather than on the close.
		this.#socket?.close();
		this.#socket = null;
		switch ( problem.code ) {
			case 'room_password_wrong':
				// Back to the preflight's password field; the next try gets a fresh ticket.
				clearTimeout( this.#reconnectTimer );
				this.#stopStats();
				this.#closeLinks();
				this.problem = problem;
				this.#setConnection( 'idle' );
				this.#setPhase( 'preflight' );
				return;
			case 'room_token_invalid':
				if ( ! this.#tokenRetried ) {
					// Expired between REST and the socket (a slow network): one more try.
					this.#tokenRetried = true;
					void this.#connect();
					return;
				}
				break;
			case 'meeting_ended':
				this.#finish( 'ended', problem, 'meeting_ended' );
				return;
		}
		this.#finish( 'refused', problem, problem.code );
	}

	// ── Peers ─────────────────────────────────────────────────────────────────

	#addPeer( info: PeerInfo, offer: boolean ): void {
		if ( this.ticket?.sfu ) {
			// Media comes through the SFU session (#onSfu): a tile, no mesh link.
			this.peers.set( info.id, {
				info,
				stream: this.#sfu?.streamOf( info.id ) ?? null,
				reportedQuality: null,
				quality: 'good',
				connectionState: 'new',
			} );
			return;
		}
		const selfId = this.self?.id ?? '';
		const link = new PeerLink( {
			selfId,
			remoteId: info.id,
			config: this.#rtcConfig(),
			createPeerConnection: this.#o.createPeerConnection,
			createStream: this.#o.createStream,
			send: ( payload ) =>
				this.#send( { type: 'signal', to: info.id, ...payload } ),
			canSignal: () => this.#socket?.isOpen ?? false,
			localTrack: ( kind ) => this.#media.sendTrack( kind ),
			onChange: () => this.#syncPeer( info.id ),
			now: this.#o.now,
			log: this.#o.log,
		} );
		this.#links.set( info.id, link );
		this.peers.set( info.id, {
			info,
			stream: null,
			reportedQuality: null,
			quality: 'good',
			connectionState: link.pc.connectionState,
		} );
		if ( offer ) {
			link.offer();
		}
	}

	#syncPeer( id: string ): void {
		const peer = this.peers.get( id );
		const link = this.#links.get( id );
		if ( peer && link ) {
			peer.stream = link.stream;
			peer.connectionState = link.pc.connectionState;
			this.emit( 'change', 'peers' );
		}
	}

	#removePeer( id: string, announce: boolean ): void {
		const peer = this.peers.get( id );
		this.#links.get( id )?.close();
		this.#links.delete( id );
		this.peers.delete( id );
		if ( peer && announce ) {
			this.emit( 'peer-left', peer.info );
			this.emit( 'change', 'peers' );
		}
	}

	#closeLinks(): void {
		this.#forEachLink( ( link ) => link.close() );
		this.#links.clear();
		this.peers.clear();
	}

	#forEachLink( fn: ( link: PeerLink ) => void ): void {
		this.#links.forEach( fn );
	}

	#rtcConfig(): RTCConfiguration {
		return {
			iceServers: ( this.ticket?.ice_servers ?? [] ) as RTCIceServer[],
			iceTransportPolicy: this.ticket?.ice_transport_policy ?? 'all',
			bundlePolicy: 'max-bundle',
		};
	}

	// ── Quality ───────────────────────────────────────────────────────────────

	#startStats(): void {
		this.#statsTimer ??= setInterval(
			() => void this.sampleQuality(),
			STATS_INTERVAL_MS
		);
	}

	#stopStats(): void {
		clearInterval( this.#statsTimer );
		this.#statsTimer = undefined;
	}

	/**
	 * One quality round (runs every 2 s while in the room; public for tests): reads each
	 * connection's stats, updates its level, adapts its sender, and tells the room on change.
	 */
	async sampleQuality(): Promise< void > {
		if ( this.#sampling ) {
			return;
		}
		this.#sampling = true;
		try {
			let peersChanged = false;
			for ( const [ id, link ] of [ ...this.#links ] ) {
				const peer = this.peers.get( id );
				try {
					const report =
						( await link.pc.getStats() ) as unknown as StatsLike;
					const { sample, counters } = readSample(
						report,
						link.counters,
						!! peer && ( peer.info.video || peer.info.screen )
					);
					const judged = judgedSample( sample, {
						capBps: link.capBps,
						warmedUp:
							link.connectedAt !== null &&
							this.#o.now() - link.connectedAt >=
								LIMITATION_WARMUP_MS,
					} );
					link.counters = counters;
					link.sample = sample;
					link.quality = nextQuality( link.quality, judged );
				} catch ( error ) {
					this.#o.log?.( '[bkx-room] getStats failed', error );
				}
				if ( peer && peer.quality !== link.quality.level ) {
					peer.quality = link.quality.level;
					peersChanged = true;
				}
				// Poor reduces, good restores; fair keeps what is in force (full quality at first).
				const level = link.quality.level;
				const profile = level === 'poor' ? 'poor' : 'good';
				if ( level !== 'fair' || ! link.hasProfile ) {
					void link.applyProfile(
						sendProfile( profile, {
							remotePeers: this.#links.size,
							screen: !! this.local.screenTrack,
						} ),
						profile === 'poor'
					);
				}
				link.tick();
			}
			const level = worstLevel(
				[ ...this.#links.values() ].map( ( l ) => l.quality.level )
			);
			if ( level !== this.quality ) {
				this.quality = level;
				this.emit( 'change', 'quality' );
			}
			if ( peersChanged ) {
				this.emit( 'change', 'peers' );
			}
			if (
				level !== this.#qualitySent &&
				this.#send( { type: 'quality', level } )
			) {
				this.#qualitySent = level;
			}
		} finally {
			this.#sampling = false;
		}
	}

	// ── Local media ───────────────────────────────────────────────────────────

	#sendMedia(): void {
		if ( this.phase === 'joined' || this.phase === 'waiting' ) {
			this.#send( { type: 'media', ...this.#media.wire } );
		}
	}

	// ── Lifecycle ─────────────────────────────────────────────────────────────

	#isActive(): boolean {
		return (
			! this.#destroyed &&
			( this.phase === 'connecting' ||
				this.phase === 'waiting' ||
				this.phase === 'joined' )
		);
	}

	#setRecording( view: typeof NO_RECORDING ): void {
		this.recording = view.recording;
		this.recordingTake = view.take;
		this.consentRequest = view.consentRequest;
		this.emit( 'change', 'recording' );
	}

	#teardown(): void {
		this.#generation++;
		clearTimeout( this.#reconnectTimer );
		this.#stopStats();
		this.#socket?.close();
		this.#socket = null;
		this.#closeLinks();
		this.#sfu?.close();
		this.#sfu = null;
	}

	#finish(
		phase: 'ended' | 'left' | 'refused',
		problem: RoomProblem | null,
		reason: string
	): void {
		if ( this.#destroyed ) {
			return;
		}
		this.#teardown();
		this.#media.stop();
		this.problem = problem;
		this.exitReason = reason;
		this.recording = false;
		this.recordingTake = null;
		this.consentRequest = null;
		this.lobby = [];
		this.#setConnection( 'idle' );
		this.#setPhase( phase );
	}

	#setPhase( phase: RoomPhase ): void {
		if ( this.phase !== phase ) {
			this.phase = phase;
			this.emit( 'change', 'phase' );
		}
	}

	#setConnection( connection: ConnectionStatus ): void {
		if ( this.connection !== connection ) {
			this.connection = connection;
			this.emit( 'change', 'connection' );
		}
	}
}

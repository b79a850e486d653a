/**
 * Stand-ins for the browser APIs the client uses: a WebSocket the test drives, an
 * RTCPeerConnection that models the offer/answer state machine (with implicit rollback, like
 * browsers), tracks, streams and media devices. Enough to run RoomClient's logic in Node.
 */
import type { RoomTicket } from '@bkx-video/contracts';

import type { SocketLike } from '../src/signaling';

export class FakeSocket implements SocketLike {
	static all: FakeSocket[] = [];
	readyState = 0;
	sent: Array< Record< string, unknown > > = [];
	closedWith: number | null = null;
	onopen: ( ( event: unknown ) => void ) | null = null;
	onmessage: ( ( event: { data: unknown } ) => void ) | null = null;
	onclose: ( ( event: { code: number; reason: string } ) => void ) | null =
		null;
	onerror: ( ( event: unknown ) => void ) | null = null;

	constructor( readonly url: string ) {
		FakeSocket.all.push( this );
	}

	static last(): FakeSocket {
		const socket = FakeSocket.all[ FakeSocket.all.length - 1 ];
		if ( ! socket ) {
			throw new Error( 'no socket opened' );
		}
		return socket;
	}

	send( data: string ): void {
		this.sent.push( JSON.parse( data ) as Record< string, unknown > );
	}

	close( code = 1000 ): void {
		this.closedWith = code;
		this.readyState = 3;
	}

	/** The server accepts the connection. */
	open(): void {
		this.readyState = 1;
		this.onopen?.( {} );
	}

	/**
	 * The server sends a message.
	 * @param message
	 */
	receive( message: Record< string, unknown > ): void {
		this.onmessage?.( { data: JSON.stringify( message ) } );
	}

	/**
	 * The connection closes from the server's side (or the network).
	 * @param code
	 */
	drop( code = 1006 ): void {
		this.readyState = 3;
		this.onclose?.( { code, reason: '' } );
	}

	sentOfType( type: string ): Array< Record< string, unknown > > {
		return this.sent.filter( ( m ) => m.type === type );
	}
}

let trackSeq = 0;

export class FakeTrack {
	readonly id = `t${ ++trackSeq }`;
	enabled = true;
	readyState: 'live' | 'ended' = 'live';
	contentHint = '';
	onended: ( () => void ) | null = null;
	constructor(
		readonly kind: 'audio' | 'video',
		readonly deviceId = `${ kind }-default`
	) {}

	stop(): void {
		this.readyState = 'ended';
	}

	getSettings(): { deviceId: string } {
		return { deviceId: this.deviceId };
	}
}

export class FakeStream {
	constructor( private readonly tracks: FakeTrack[] ) {}
	getTracks(): FakeTrack[] {
		return [ ...this.tracks ];
	}
	getAudioTracks(): FakeTrack[] {
		return this.tracks.filter( ( t ) => t.kind === 'audio' );
	}
	getVideoTracks(): FakeTrack[] {
		return this.tracks.filter( ( t ) => t.kind === 'video' );
	}
}

export const createStream = ( tracks: MediaStreamTrack[] ): MediaStream =>
	new FakeStream(
		tracks as unknown as FakeTrack[]
	) as unknown as MediaStream;

/**
 * getUserMedia that grants or refuses each kind.
 * @param options
 * @param options.audio
 * @param options.video
 * @param options.screen
 */
export function fakeDevices(
	options: {
		audio?: 'ok' | string;
		video?: 'ok' | string;
		screen?: 'ok' | string;
	} = {}
) {
	const calls: MediaStreamConstraints[] = [];
	const fail = ( name: string ) =>
		Object.assign( new Error( name ), { name } );
	return {
		calls,
		getUserMedia: async ( constraints: MediaStreamConstraints ) => {
			calls.push( constraints );
			const tracks: FakeTrack[] = [];
			for ( const kind of [ 'audio', 'video' ] as const ) {
				if ( ! constraints[ kind ] ) {
					continue;
				}
				const outcome = options[ kind ] ?? 'ok';
				if ( outcome !== 'ok' ) {
					throw fail( outcome );
				}
				const c = constraints[ kind ] as MediaTrackConstraints;
				const id = ( c.deviceId as { exact?: string } | undefined )
					?.exact;
				tracks.push( new FakeTrack( kind, id ) );
			}
			return new FakeStream( tracks ) as unknown as MediaStream;
		},
		getDisplayMedia: async () => {
			const outcome = options.screen ?? 'ok';
			if ( outcome !== 'ok' ) {
				throw fail( outcome );
			}
			return new FakeStream( [
				new FakeTrack( 'video', 'screen' ),
			] ) as unknown as MediaStream;
		},
		enumerateDevices: async () => [] as MediaDeviceInfo[],
	};
}

let pcSeq = 0;

class FakeSender {
	track: FakeTrack | null;
	params: {
		transactionId: string;
		encodings: Array< Record< string, unknown > >;
	} = {
		transactionId: 'x',
		encodings: [ {} ],
	};
	setParametersCalls: Array< Record< string, unknown > > = [];
	constructor( track: FakeTrack | null ) {
		this.track = track;
	}
	async replaceTrack( track: FakeTrack | null ): Promise< void > {
		this.track = track;
	}
	getParameters() {
		return structuredClone( this.params );
	}
	async setParameters( params: FakeSender[ 'params' ] ): Promise< void > {
		this.params = params;
		this.setParametersCalls.push( { ...params.encodings[ 0 ] } );
	}
}

class FakeTransceiver {
	direction: RTCRtpTransceiverDirection;
	readonly sender: FakeSender;
	readonly receiver: { track: FakeTrack };
	constructor(
		kind: 'audio' | 'video',
		track: FakeTrack | null,
		direction: RTCRtpTransceiverDirection
	) {
		this.sender = new FakeSender( track );
		this.receiver = { track: new FakeTrack( kind, `remote-${ kind }` ) };
		this.direction = direction;
	}
}

/**
 * Offer/answer states as in JSEP: stable → have-local-offer (SLD offer) → stable (SRD answer);
 * stable → have-remote-offer (SRD offer) → stable (SLD answer); SRD(offer) in have-local-offer
 * rolls back first. negotiationneeded fires (asynchronously) after addTransceiver / restartIce
 * once stable. The SDP carries a per-connection fingerprint.
 */
export class FakePeerConnection {
	static all: FakePeerConnection[] = [];
	readonly id = ++pcSeq;
	readonly fingerprint = `sha-256 FP:${ this.id }`;
	signalingState: RTCSignalingState = 'stable';
	iceConnectionState: RTCIceConnectionState = 'new';
	connectionState: RTCPeerConnectionState = 'new';
	localDescription: { type: RTCSdpType; sdp: string } | null = null;
	remoteDescription: { type: RTCSdpType; sdp: string } | null = null;
	transceivers: FakeTransceiver[] = [];
	candidates: unknown[] = [];
	restarts = 0;
	closed = false;
	stats = new Map< string, Record< string, unknown > >();
	config: RTCConfiguration;
	onnegotiationneeded: ( () => void ) | null = null;
	onicecandidate: ( ( e: { candidate: unknown } ) => void ) | null = null;
	oniceconnectionstatechange: ( () => void ) | null = null;
	onconnectionstatechange: ( () => void ) | null = null;
	ontrack: ( ( e: { track: FakeTrack } ) => void ) | null = null;
	#needed = false;
	#generation = 0;

	constructor( config: RTCConfiguration ) {
		this.config = config;
		FakePeerConnection.all.push( this );
	}

	addTransceiver(
		trackOrKind: FakeTrack | 'audio' | 'video',
		init: { direction?: RTCRtpTransceiverDirection } = {}
	) {
		const track = typeof trackOrKind === 'string' ? null : trackOrKind;
		const kind =
			typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
		const t = new FakeTransceiver(
			kind,
			track,
			init.direction ?? 'sendrecv'
		);
		this.transceivers.push( t );
		this.#needNegotiation();
		return t;
	}

	getTransceivers() {
		return this.transceivers;
	}

	restartIce(): void {
		this.restarts++;
		this.#generation++;
		this.#needNegotiation();
	}

	setConfiguration( config: RTCConfiguration ): void {
		this.config = config;
	}

	#sdp( type: string ): string {
		const kinds = this.transceivers
			.map( ( t ) => t.receiver.track.kind )
			.join( ',' );
		return `v=0\r\na=fingerprint:${ this.fingerprint }\r\na=ice-ufrag:${ this.id }g${ this.#generation }\r\na=x-type:${ type }\r\na=x-kinds:${ kinds }\r\n`;
	}

	async setLocalDescription( description?: {
		type: RTCSdpType;
	} ): Promise< void > {
		await Promise.resolve();
		this.#check();
		if ( description?.type === 'rollback' ) {
			this.signalingState = 'stable';
			this.localDescription = null;
			return;
		}
		if ( this.signalingState === 'have-remote-offer' ) {
			this.localDescription = {
				type: 'answer',
				sdp: this.#sdp( 'answer' ),
			};
			this.signalingState = 'stable';
			this.#afterStable();
		} else if ( this.signalingState === 'stable' ) {
			this.#needed = false;
			this.localDescription = {
				type: 'offer',
				sdp: this.#sdp( 'offer' ),
			};
			this.signalingState = 'have-local-offer';
		} else {
			throw Object.assign( new Error( 'wrong state' ), {
				name: 'InvalidStateError',
			} );
		}
	}

	async setRemoteDescription( description: {
		type: RTCSdpType;
		sdp?: string;
	} ): Promise< void > {
		await Promise.resolve();
		this.#check();
		const sdp = description.sdp ?? '';
		if ( description.type === 'offer' ) {
			if ( this.signalingState === 'have-local-offer' ) {
				this.signalingState = 'stable'; // implicit rollback
				this.localDescription = null;
			}
			if ( this.signalingState !== 'stable' ) {
				throw Object.assign( new Error( 'wrong state' ), {
					name: 'InvalidStateError',
				} );
			}
			const kinds =
				/a=x-kinds:(.*)/
					.exec( sdp )?.[ 1 ]
					?.split( ',' )
					.filter( Boolean ) ?? [];
			for ( const kind of kinds ) {
				if (
					! this.transceivers.some(
						( t ) => t.receiver.track.kind === kind
					)
				) {
					const t = new FakeTransceiver(
						kind as 'audio' | 'video',
						null,
						'recvonly'
					);
					this.transceivers.push( t );
					this.ontrack?.( { track: t.receiver.track } );
				}
			}
			this.remoteDescription = { type: 'offer', sdp };
			this.signalingState = 'have-remote-offer';
		} else if ( description.type === 'answer' ) {
			if ( this.signalingState !== 'have-local-offer' ) {
				throw Object.assign( new Error( 'no offer' ), {
					name: 'InvalidStateError',
				} );
			}
			this.remoteDescription = { type: 'answer', sdp };
			this.signalingState = 'stable';
			for ( const t of this.transceivers ) {
				this.ontrack?.( { track: t.receiver.track } );
			}
			this.#afterStable();
		}
	}

	async addIceCandidate( candidate?: unknown ): Promise< void > {
		this.candidates.push( candidate );
	}

	async getStats() {
		return this.stats;
	}

	createDataChannel() {
		return {};
	}

	async createOffer() {
		return { type: 'offer' as const, sdp: this.#sdp( 'offer' ) };
	}

	close(): void {
		this.closed = true;
		this.signalingState = 'closed';
	}

	/**
	 * Test helper: set the ICE state and fire the event.
	 * @param state
	 */
	setIce( state: RTCIceConnectionState ): void {
		this.iceConnectionState = state;
		this.oniceconnectionstatechange?.();
	}

	/**
	 * Test helper: emit a local candidate.
	 * @param candidate
	 */
	emitCandidate( candidate: string ): void {
		this.onicecandidate?.( {
			candidate: {
				candidate,
				sdpMid: '0',
				sdpMLineIndex: 0,
				usernameFragment: 'u',
			},
		} );
	}

	#check(): void {
		if ( this.closed ) {
			throw Object.assign( new Error( 'closed' ), {
				name: 'InvalidStateError',
			} );
		}
	}

	#needNegotiation(): void {
		this.#needed = true;
		if ( this.signalingState === 'stable' ) {
			queueMicrotask( () => this.#fireNeeded() );
		}
	}

	#afterStable(): void {
		if ( this.#needed ) {
			queueMicrotask( () => this.#fireNeeded() );
		}
	}

	#fireNeeded(): void {
		if (
			this.#needed &&
			this.signalingState === 'stable' &&
			! this.closed
		) {
			this.onnegotiationneeded?.();
		}
	}
}

export const createPeerConnection = (
	config: RTCConfiguration
): RTCPeerConnection =>
	new FakePeerConnection( config ) as unknown as RTCPeerConnection;

export function ticket(
	room: Partial< RoomTicket[ 'room' ] > = {},
	token = 'tok'
): RoomTicket {
	return {
		token,
		expires_at: new Date( Date.now() + 5 * 60_000 ).toISOString(),
		signaling_url: 'wss://sidecar.test/v1/rooms/signal',
		ice_servers: [
			{ urls: 'stun:stun.test:3478' },
			{
				urls: [ 'turn:turn.test:3478?transport=udp' ],
				username: 'u',
				credential: 'c',
			},
		],
		ice_transport_policy: 'all',
		room: {
			consultation_id: 42,
			title: 'Consultation with Dr. Rivera',
			scheduled_start: '2030-01-01T10:00:00Z',
			scheduled_end: '2030-01-01T10:30:00Z',
			role: 'participant',
			display_name: 'Ana Customer',
			password_required: false,
			waiting_room: false,
			chat_enabled: true,
			screen_share_enabled: true,
			max_participants: 4,
			end_on_host_leave: false,
			recording_enabled: false,
			auto_recording: false,
			...room,
		},
	};
}

export function peer(
	id: string,
	name: string,
	role: 'host' | 'participant' = 'participant'
) {
	return { id, name, role, audio: true, video: true, screen: false };
}

/**
 * Lets queued promise callbacks (fake SLD/SRD, negotiationneeded) run.
 * @param rounds
 */
export async function flush( rounds = 10 ): Promise< void > {
	for ( let i = 0; i < rounds; i++ ) {
		await Promise.resolve();
	}
}

export function reset(): void {
	FakeSocket.all = [];
	FakePeerConnection.all = [];
}

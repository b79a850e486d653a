/**
 * One RTCPeerConnection to one remote peer (mesh), negotiated with the "perfect negotiation"
 * pattern (W3C WebRTC §10.7): either side may (re)negotiate or restart ICE at any time; on a
 * collision the polite side (the greater peer id) rolls back and the impolite side ignores the
 * other offer. Two transceivers, audio then video, are made by whoever offers first; the camera
 * and the screen swap on the video sender with `replaceTrack`, never with renegotiation.
 *
 * Recovery: ICE restart after 2 s `disconnected` or on `failed`; an offer left unanswered (lost
 * while the socket was down) is sent again; a description carrying a new DTLS fingerprint means
 * the other side replaced its connection (reloaded, rebuilt), so this side rebuilds too.
 */

/**
 * Internal dependencies
 */
import type { SignalPayload } from './protocol';
import type {
	QualitySample,
	QualityState,
	SendProfile,
	StatsCounters,
} from './quality';
import { INITIAL_QUALITY, TOP_BITRATE } from './quality';
import type { MediaKind } from './media';

const KINDS: readonly MediaKind[] = [ 'audio', 'video' ];

/** Disconnected this long → ICE restart (the polite side waits twice as long, to let the other go first). */
export const ICE_RESTART_DELAY_MS = 2_000;
/** An offer without answer for this long is sent again. */
export const OFFER_RESEND_MS = 5_000;
/** Minimum gap between two ICE restarts of one connection. */
const RESTART_GAP_MS = 6_000;
/** Restarts in a row without getting connected before the impolite side rebuilds the connection. */
const RESTARTS_BEFORE_REBUILD = 3;

export interface PeerLinkOptions {
	selfId: string;
	remoteId: string;
	config: RTCConfiguration;
	createPeerConnection: ( config: RTCConfiguration ) => RTCPeerConnection;
	createStream: ( tracks: MediaStreamTrack[] ) => MediaStream;
	/** Relays a signal to the remote peer; false when the socket is down. */
	send: ( payload: SignalPayload ) => boolean;
	canSignal: () => boolean;
	/** The track this side sends for a kind (video: the screen while sharing), or null. */
	localTrack: ( kind: MediaKind ) => MediaStreamTrack | null;
	/** Something the UI shows changed (remote stream, connection state). */
	onChange: () => void;
	now: () => number;
	log?: ( message: string, error?: unknown ) => void;
}

/**
 * The DTLS fingerprint of an SDP (same for the life of one RTCPeerConnection).
 * @param sdp Session description.
 */
export function sdpFingerprint( sdp: string | undefined ): string | null {
	return sdp
		? ( /^a=fingerprint:(.+)$/m.exec( sdp )?.[ 1 ]?.trim() ?? null )
		: null;
}

/**
 * Perfect negotiation's politeness: the greater id (string order) is polite.
 * @param selfId   This side.
 * @param remoteId The other side.
 */
export function isPolite( selfId: string, remoteId: string ): boolean {
	return selfId > remoteId;
}

export class PeerLink {
	readonly remoteId: string;
	readonly polite: boolean;
	pc: RTCPeerConnection;
	/** Remote audio and video; a new object whenever a track arrives (so views rebind). */
	stream: MediaStream | null = null;
	quality: QualityState = INITIAL_QUALITY;
	counters: StatsCounters | null = null;
	sample: QualitySample | null = null;
	/** When ICE last got connected on this RTCPeerConnection (null: not yet). */
	connectedAt: number | null = null;
	/** The reduced (poor) sending profile is in force. */
	reduced = false;
	/** `maxBitrate` in force on the video sender (the offer's initial cap until a profile is set). */
	capBps = TOP_BITRATE;
	/** A sending profile has been set on this connection. */
	hasProfile = false;

	#o: PeerLinkOptions;
	#senders: Partial< Record< MediaKind, RTCRtpSender > > = {};
	#makingOffer = false;
	#ignoreOffer = false;
	#chain: Promise< void > = Promise.resolve();
	#restartTimer: ReturnType< typeof setTimeout > | undefined;
	#restarts = 0;
	#lastRestartAt = 0;
	#disconnectedSince: number | null = null;
	#offerSentAt = 0;
	#profileKey = '';
	#closed = false;

	/**
	 * Creates the connection; call `offer()` to make this side offer.
	 * @param options Dependencies and callbacks.
	 */
	constructor( options: PeerLinkOptions ) {
		this.#o = options;
		this.remoteId = options.remoteId;
		this.polite = isPolite( options.selfId, options.remoteId );
		this.pc = this.#open();
	}

	/** Adds the audio and video transceivers, which makes this side offer (the newcomer does). */
	offer(): void {
		const pc = this.pc;
		for ( const kind of KINDS ) {
			const track = this.#o.localTrack( kind );
			const transceiver = pc.addTransceiver( track ?? kind, {
				direction: 'sendrecv',
				// 1080p30 budget from the first frame; the quality loop adjusts it later.
				...( kind === 'video'
					? { sendEncodings: [ { maxBitrate: TOP_BITRATE } ] }
					: {} ),
			} );
			this.#senders[ kind ] = transceiver.sender;
		}
	}

	/**
	 * Applies a description or candidate from the remote peer (in arrival order).
	 * @param signal The `signal` message's payload.
	 */
	handleSignal( signal: SignalPayload ): Promise< void > {
		this.#chain = this.#chain
			.then( () => this.#apply( signal ) )
			.catch( ( error: unknown ) => this.#log( 'signal failed', error ) );
		return this.#chain;
	}

	/**
	 * Swaps the outgoing track of a kind (mute is `track.enabled`; this is device and screen changes).
	 * @param kind  Audio or video.
	 * @param track The new track, or null to send nothing.
	 */
	replaceTrack( kind: MediaKind, track: MediaStreamTrack | null ): void {
		this.#senders[ kind ]
			?.replaceTrack( track )
			.catch( ( error: unknown ) =>
				this.#log( 'replaceTrack failed', error )
			);
	}

	/**
	 * After the socket came back in the same session: fresh TURN credentials, then an ICE restart.
	 * @param config Configuration from the new ticket.
	 */
	resume( config: RTCConfiguration ): void {
		this.#o.config = config;
		try {
			this.pc.setConfiguration( config );
		} catch ( error ) {
			this.#log( 'setConfiguration failed', error );
		}
		this.#restarts = 0;
		this.restartIce();
	}

	/** Restarts ICE now (when the socket is up to carry the offer). */
	restartIce(): void {
		if ( this.#closed || ! this.#o.canSignal() ) {
			return;
		}
		this.#lastRestartAt = this.#o.now();
		this.#restarts++;
		if ( this.#restarts > RESTARTS_BEFORE_REBUILD && ! this.polite ) {
			this.#rebuild( true );
			return;
		}
		this.pc.restartIce();
	}

	/** Periodic checks (every 2 s, with the stats): unanswered offers, ICE that stays down. */
	tick(): void {
		if ( this.#closed || ! this.#o.canSignal() ) {
			return;
		}
		const now = this.#o.now();
		const pc = this.pc;
		if (
			pc.signalingState === 'have-local-offer' &&
			now - this.#offerSentAt > OFFER_RESEND_MS
		) {
			this.#sendLocalDescription();
		}
		const ice = pc.iceConnectionState;
		const down =
			ice === 'failed' ||
			( ice === 'disconnected' &&
				this.#disconnectedSince !== null &&
				now - this.#disconnectedSince > ICE_RESTART_DELAY_MS );
		if ( down && now - this.#lastRestartAt > RESTART_GAP_MS ) {
			this.restartIce();
		}
	}

	/**
	 * Sets the video encoding (bitrate, resolution, frame rate) if it differs from the last one set.
	 * Uses the object from getParameters() (it carries the transactionId setParameters needs).
	 * @param profile Wanted settings.
	 * @param reduced Whether it is the reduced (poor) profile.
	 */
	async applyProfile(
		profile: SendProfile,
		reduced: boolean
	): Promise< void > {
		const key = `${ profile.maxBitrate }/${ profile.scaleResolutionDownBy }/${ profile.maxFramerate }`;
		const sender = this.#senders.video;
		if ( key === this.#profileKey || ! sender ) {
			return;
		}
		const params = sender.getParameters();
		const encoding = params.encodings?.[ 0 ];
		if ( ! encoding ) {
			return; // Not negotiated yet: next time.
		}
		encoding.maxBitrate = profile.maxBitrate;
		encoding.scaleResolutionDownBy = profile.scaleResolutionDownBy;
		encoding.maxFramerate = profile.maxFramerate;
		try {
			await sender.setParameters( params );
			this.#profileKey = key;
			this.reduced = reduced;
			this.hasProfile = true;
			this.capBps = profile.maxBitrate;
		} catch ( error ) {
			this.#log( 'setParameters failed', error );
		}
	}

	/** Closes the connection for good. */
	close(): void {
		this.#closed = true;
		clearTimeout( this.#restartTimer );
		this.#detach( this.pc );
		this.pc.close();
		this.stream = null;
	}

	#open(): RTCPeerConnection {
		const pc = this.#o.createPeerConnection( this.#o.config );
		pc.onnegotiationneeded = async () => {
			if ( pc !== this.pc ) {
				return;
			}
			try {
				this.#makingOffer = true;
				await pc.setLocalDescription();
				this.#sendLocalDescription();
			} catch ( error ) {
				this.#log( 'offer failed', error );
			} finally {
				this.#makingOffer = false;
			}
		};
		pc.onicecandidate = ( { candidate } ) => {
			// The end-of-candidates null is not relayed: browsers do not need it.
			if ( candidate && pc === this.pc ) {
				this.#o.send( {
					candidate: {
						candidate: candidate.candidate,
						sdpMid: candidate.sdpMid,
						sdpMLineIndex: candidate.sdpMLineIndex,
						usernameFragment: candidate.usernameFragment,
					},
				} );
			}
		};
		pc.oniceconnectionstatechange = () => {
			if ( pc === this.pc ) {
				this.#onIceState();
			}
		};
		pc.onconnectionstatechange = () => {
			if ( pc === this.pc ) {
				this.#o.onChange();
			}
		};
		pc.ontrack = ( { track } ) => {
			if ( pc !== this.pc ) {
				return;
			}
			const others = ( this.stream?.getTracks() ?? [] ).filter(
				( t ) => t.kind !== track.kind
			);
			this.stream = this.#o.createStream( [ ...others, track ] );
			this.#o.onChange();
		};
		return pc;
	}

	#detach( pc: RTCPeerConnection ): void {
		pc.onnegotiationneeded = pc.onicecandidate = null;
		pc.oniceconnectionstatechange = pc.onconnectionstatechange = null;
		pc.ontrack = null;
	}

	/**
	 * Replaces the connection with a new one (new certificate, new transceivers).
	 * @param offer Whether this side offers on the new one.
	 */
	#rebuild( offer: boolean ): void {
		clearTimeout( this.#restartTimer );
		this.#restartTimer = undefined;
		const old = this.pc;
		this.#detach( old );
		old.close();
		this.#senders = {};
		this.stream = null;
		this.counters = null;
		this.sample = null;
		this.quality = INITIAL_QUALITY;
		this.#makingOffer = this.#ignoreOffer = false;
		this.#restarts = 0;
		this.#profileKey = '';
		this.reduced = this.hasProfile = false;
		this.capBps = TOP_BITRATE;
		this.connectedAt = null;
		this.#disconnectedSince = null;
		this.pc = this.#open();
		if ( offer ) {
			this.offer();
		}
		this.#o.onChange();
	}

	async #apply( { description, candidate }: SignalPayload ): Promise< void > {
		if ( this.#closed ) {
			return;
		}
		if ( description ) {
			if ( description.type === 'rollback' ) {
				return; // Perfect negotiation never relays rollbacks; nothing to mirror.
			}
			const incoming = sdpFingerprint( description.sdp );
			const current = sdpFingerprint( this.pc.remoteDescription?.sdp );
			if ( incoming && current && incoming !== current ) {
				// The other side has a new RTCPeerConnection: ours cannot talk to it any more.
				this.#rebuild( description.type !== 'offer' );
				if ( description.type !== 'offer' ) {
					return; // Our new offer replaces the exchange that answer belonged to.
				}
			}
			const pc = this.pc;
			const collision =
				description.type === 'offer' &&
				( this.#makingOffer || pc.signalingState !== 'stable' );
			this.#ignoreOffer = ! this.polite && collision;
			if ( this.#ignoreOffer ) {
				return;
			}
			try {
				// On a collision the polite side gets an implicit rollback of its own offer.
				await pc.setRemoteDescription( description );
			} catch ( error ) {
				if ( description.type !== 'offer' ) {
					throw error;
				}
				// An offer a fresh connection accepts: start over on one.
				this.#log( 'offer rejected, rebuilding', error );
				this.#rebuild( false );
				await this.pc.setRemoteDescription( description );
			}
			if ( description.type === 'offer' ) {
				this.#adoptTransceivers();
				await this.pc.setLocalDescription();
				this.#sendLocalDescription();
			}
			return;
		}
		if ( candidate !== undefined ) {
			try {
				await this.pc.addIceCandidate( candidate ?? undefined );
			} catch ( error ) {
				// Candidates of an ignored offer, or of a connection just replaced: expected.
				if ( ! this.#ignoreOffer ) {
					this.#log( 'addIceCandidate failed', error );
				}
			}
		}
	}

	/** Answering side: send on the transceivers the offer created instead of adding more. */
	#adoptTransceivers(): void {
		for ( const kind of KINDS ) {
			if ( this.#senders[ kind ] ) {
				continue;
			}
			const transceiver = this.pc
				.getTransceivers()
				.find( ( t ) => t.receiver.track.kind === kind );
			if ( ! transceiver ) {
				continue;
			}
			transceiver.direction = 'sendrecv';
			this.#senders[ kind ] = transceiver.sender;
			this.replaceTrack( kind, this.#o.localTrack( kind ) );
		}
	}

	#sendLocalDescription(): void {
		const local = this.pc.localDescription;
		if ( ! local ) {
			return;
		}
		if ( local.type === 'offer' ) {
			this.#offerSentAt = this.#o.now();
		}
		this.#o.send( { description: { type: local.type, sdp: local.sdp } } );
	}

	#onIceState(): void {
		const state = this.pc.iceConnectionState;
		if ( state === 'connected' || state === 'completed' ) {
			clearTimeout( this.#restartTimer );
			this.#restartTimer = undefined;
			this.#restarts = 0;
			this.#disconnectedSince = null;
			this.connectedAt ??= this.#o.now();
		} else if ( state === 'disconnected' ) {
			this.#disconnectedSince ??= this.#o.now();
			this.#scheduleRestart(
				this.polite ? 2 * ICE_RESTART_DELAY_MS : ICE_RESTART_DELAY_MS
			);
		} else if ( state === 'failed' ) {
			this.#scheduleRestart( this.polite ? ICE_RESTART_DELAY_MS : 0 );
		}
		this.#o.onChange();
	}

	#scheduleRestart( delayMs: number ): void {
		if ( this.#restartTimer !== undefined ) {
			return;
		}
		this.#restartTimer = setTimeout( () => {
			this.#restartTimer = undefined;
			const state = this.pc.iceConnectionState;
			if ( state === 'disconnected' || state === 'failed' ) {
				this.restartIce();
			}
		}, delayMs );
	}

	#log( message: string, error?: unknown ): void {
		this.#o.log?.( `[bkx-room] ${ this.remoteId }: ${ message }`, error );
	}
}

/**
 * The room's media through the Janus VideoRoom SFU (when the ticket has `sfu`): plain fetch and
 * long-poll against Janus's HTTP API, no janus.js.
 *
 * One Janus session per room visit. One publisher handle sends the camera (simulcast: three VP8
 * layers by rid) and the microphone with `joinandconfigure`; one subscriber handle and one
 * RTCPeerConnection per other publisher (`join` ptype subscriber → Janus's offer → our answer →
 * `start`). Publishers joining and leaving come as events on the publisher handle. Each
 * publisher's `display` is its peer id in our hub, which maps a feed to a tile. The screen
 * replaces the camera on the published sender (`replaceTrack`, no renegotiation).
 *
 * Access (`pin`, publish `token`, `feed`, signed `core_token`) comes from the hub after `welcome`
 * (contracts `SfuAccess`): someone in the waiting room has none.
 *
 * @see https://janus.conf.meetecho.com/docs/rest.html
 * @see https://janus.conf.meetecho.com/docs/videoroom.html
 */

/**
 * Internal dependencies
 */
import type { SfuAccess } from '@bkx-video/contracts';
import type { MediaKind } from './media';

type Json = Record< string, any >;

/** Three simulcast layers: Janus forwards the one each subscriber's bandwidth allows. */
export const SIMULCAST_ENCODINGS: RTCRtpEncodingParameters[] = [
	{ rid: 'h', maxBitrate: 1_500_000 },
	{ rid: 'm', maxBitrate: 500_000, scaleResolutionDownBy: 2 },
	{ rid: 'l', maxBitrate: 150_000, scaleResolutionDownBy: 4 },
];

/** A plugin request without its event after this long fails. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Long-poll failures in a row before the session counts as lost. */
const POLL_FAILURES = 4;

export interface SfuSessionOptions {
	access: SfuAccess;
	config: RTCConfiguration;
	createPeerConnection: ( config: RTCConfiguration ) => RTCPeerConnection;
	createStream: ( tracks: MediaStreamTrack[] ) => MediaStream;
	/** What to publish for a kind now (camera or screen, microphone). */
	localTrack: ( kind: MediaKind ) => MediaStreamTrack | null;
	/** A peer's media arrived, changed, or went (null). */
	onStream: ( peer: string, stream: MediaStream | null ) => void;
	/** The session is lost (Janus gone, session expired, room destroyed). */
	onFailed: ( error: unknown ) => void;
	fetch?: typeof fetch;
	log?: ( message: string, error?: unknown ) => void;
}

interface Subscription {
	feed: number;
	handle: number;
	pc: RTCPeerConnection;
	peer: string;
	stream: MediaStream | null;
}

export class SfuSession {
	#o: SfuSessionOptions;
	#fetch: typeof fetch;
	#session = 0;
	#closed = false;
	#seq = 0;
	#waiters = new Map< string, ( event: Json ) => void >();
	#publisher: {
		handle: number;
		pc: RTCPeerConnection;
		senders: Partial< Record< MediaKind, RTCRtpSender > >;
	} | null = null;
	#subs = new Map< number, Subscription >();

	/**
	 * @param options Access, RTC seams and callbacks.
	 */
	constructor( options: SfuSessionOptions ) {
		this.#o = options;
		this.#fetch = options.fetch ?? ( ( ...args ) => fetch( ...args ) );
	}

	get access(): SfuAccess {
		return this.#o.access;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** The live connections: `sfu:publisher`, then one per watched peer id. */
	peerConnections(): Map< string, RTCPeerConnection > {
		const out = new Map< string, RTCPeerConnection >();
		if ( this.#publisher ) {
			out.set( 'sfu:publisher', this.#publisher.pc );
		}
		for ( const s of this.#subs.values() ) {
			out.set( s.peer, s.pc );
		}
		return out;
	}

	/**
	 * The media of a peer, if watched already.
	 * @param peer Peer id (the publisher's display).
	 */
	streamOf( peer: string ): MediaStream | null {
		for ( const s of this.#subs.values() ) {
			if ( s.peer === peer ) {
				return s.stream;
			}
		}
		return null;
	}

	/** Opens the session, publishes, and subscribes to everyone already publishing. */
	async start(): Promise< void > {
		const created = await this.#post( '', { janus: 'create' } );
		this.#session = created.data.id;
		void this.#poll();
		await this.#publish();
	}

	/**
	 * Puts another track on the published sender (camera ↔ screen, a new device).
	 * @param kind  Audio or video.
	 * @param track The track, or null for nothing.
	 */
	replaceTrack( kind: MediaKind, track: MediaStreamTrack | null ): void {
		const sender = this.#publisher?.senders[ kind ];
		if ( sender && sender.track !== track ) {
			sender
				.replaceTrack( track )
				.catch( ( error: unknown ) =>
					this.#o.log?.( '[bkx-room] sfu replaceTrack failed', error )
				);
		}
	}

	/** Leaves Janus: closes every connection and destroys the session (also while the page unloads). */
	close(): void {
		if ( this.#closed ) {
			return;
		}
		this.#closed = true;
		this.#publisher?.pc.close();
		this.#publisher = null;
		for ( const s of this.#subs.values() ) {
			s.pc.close();
		}
		this.#subs.clear();
		if ( this.#session ) {
			// keepalive: survives the page going away; a text body needs no CORS preflight.
			void this.#post(
				`/${ this.#session }`,
				{ janus: 'destroy' },
				true
			).catch( () => undefined );
		}
	}

	// ── Janus transport ───────────────────────────────────────────────────────

	#auth(): Json {
		return this.#o.access.core_token
			? { token: this.#o.access.core_token }
			: {};
	}

	async #post(
		path: string,
		body: Json,
		keepalive = false
	): Promise< Json > {
		const res = await this.#fetch(
			`${ this.#o.access.janus_url }${ path }`,
			{
				method: 'POST',
				body: JSON.stringify( {
					transaction: this.#transaction(),
					...body,
					...this.#auth(),
				} ),
				keepalive,
			}
		);
		const json = ( await res.json() ) as Json;
		if ( json.janus === 'error' ) {
			throw Object.assign(
				new Error( `Janus: ${ json.error?.reason ?? 'error' }` ),
				{ code: json.error?.code }
			);
		}
		return json;
	}

	#transaction(): string {
		return `t${ ++this.#seq }${ Math.random().toString( 36 ).slice( 2, 8 ) }`;
	}

	async #poll(): Promise< void > {
		let failures = 0;
		while ( ! this.#closed ) {
			try {
				const token = this.#o.access.core_token
					? `&token=${ encodeURIComponent( this.#o.access.core_token ) }`
					: '';
				const res = await this.#fetch(
					`${ this.#o.access.janus_url }/${ this.#session }?maxev=10&rid=${ Date.now() }${ token }`
				);
				const json = ( await res.json() ) as Json | Json[];
				failures = 0;
				for ( const event of Array.isArray( json ) ? json : [ json ] ) {
					if ( event.janus === 'error' ) {
						// 458: no such session (timed out, Janus restarted).
						throw Object.assign(
							new Error(
								`Janus: ${ event.error?.reason ?? 'error' }`
							),
							{ code: event.error?.code, fatal: true }
						);
					}
					this.#dispatch( event );
				}
			} catch ( error ) {
				if ( this.#closed ) {
					return;
				}
				if (
					( error as { fatal?: boolean } ).fatal ||
					++failures >= POLL_FAILURES
				) {
					this.#fail( error );
					return;
				}
				await new Promise( ( r ) => setTimeout( r, 500 * failures ) );
			}
		}
	}

	#fail( error: unknown ): void {
		if ( ! this.#closed ) {
			this.close();
			this.#o.onFailed( error );
		}
	}

	#dispatch( event: Json ): void {
		if ( event.janus === 'keepalive' || event.janus === 'ack' ) {
			return;
		}
		const waiter = event.transaction
			? this.#waiters.get( event.transaction )
			: undefined;
		if ( waiter && event.janus === 'event' ) {
			this.#waiters.delete( event.transaction );
			waiter( event );
			return;
		}
		if (
			event.janus === 'event' &&
			event.sender === this.#publisher?.handle
		) {
			this.#onPublisherEvent( event.plugindata?.data ?? {} );
		}
	}

	/**
	 * A plugin request; resolves with its event (rejects on a VideoRoom error).
	 * @param handle
	 * @param body
	 * @param jsep
	 */
	async #message(
		handle: number,
		body: Json,
		jsep?: RTCSessionDescriptionInit | null
	): Promise< Json > {
		const transaction = this.#transaction();
		const answered = new Promise< Json >( ( resolve, reject ) => {
			const timer = setTimeout( () => {
				this.#waiters.delete( transaction );
				reject( new Error( `Janus: no answer to ${ body.request }` ) );
			}, REQUEST_TIMEOUT_MS );
			this.#waiters.set( transaction, ( event ) => {
				clearTimeout( timer );
				resolve( event );
			} );
		} );
		const reply = await this.#post( `/${ this.#session }/${ handle }`, {
			janus: 'message',
			transaction,
			body,
			...( jsep ? { jsep: { type: jsep.type, sdp: jsep.sdp } } : {} ),
		} );
		// Synchronous requests answer in the reply itself.
		const event =
			reply.janus === 'success'
				? ( this.#waiters.delete( transaction ), reply )
				: await answered;
		const data = event.plugindata?.data ?? {};
		if ( typeof data.error_code === 'number' ) {
			throw Object.assign(
				new Error( `Janus VideoRoom: ${ data.error }` ),
				{ code: data.error_code }
			);
		}
		return event;
	}

	async #attach(): Promise< number > {
		const reply = await this.#post( `/${ this.#session }`, {
			janus: 'attach',
			plugin: 'janus.plugin.videoroom',
		} );
		return reply.data.id as number;
	}

	/**
	 * Sends our ICE candidates as trickles once `ready()` is called (after the SDP went out).
	 * @param handle
	 * @param pc
	 */
	#trickle( handle: number, pc: RTCPeerConnection ): () => void {
		let ready = false;
		const queue: Json[] = [];
		const send = ( candidate: Json ) =>
			void this.#post( `/${ this.#session }/${ handle }`, {
				janus: 'trickle',
				candidate,
			} ).catch( ( error: unknown ) =>
				this.#o.log?.( '[bkx-room] trickle failed', error )
			);
		pc.onicecandidate = ( e ) => {
			const candidate = e.candidate
				? e.candidate.toJSON()
				: { completed: true };
			if ( ready ) {
				send( candidate );
			} else {
				queue.push( candidate );
			}
		};
		return () => {
			ready = true;
			queue.splice( 0 ).forEach( send );
		};
	}

	// ── Publishing ────────────────────────────────────────────────────────────

	async #publish(): Promise< void > {
		const { access } = this.#o;
		const handle = await this.#attach();
		const pc = this.#o.createPeerConnection( this.#o.config );
		const audio = pc.addTransceiver(
			this.#o.localTrack( 'audio' ) ?? 'audio',
			{ direction: 'sendonly' }
		);
		const video = pc.addTransceiver(
			this.#o.localTrack( 'video' ) ?? 'video',
			{
				direction: 'sendonly',
				sendEncodings: SIMULCAST_ENCODINGS.map( ( e ) => ( { ...e } ) ),
			}
		);
		this.#publisher = {
			handle,
			pc,
			senders: { audio: audio.sender, video: video.sender },
		};
		const ready = this.#trickle( handle, pc );
		await pc.setLocalDescription( await pc.createOffer() );
		const event = await this.#message(
			handle,
			{
				request: 'joinandconfigure',
				ptype: 'publisher',
				room: access.room,
				pin: access.pin,
				token: access.token,
				id: access.feed,
				display: access.display,
				audio: true,
				video: true,
			},
			pc.localDescription
		);
		ready();
		if ( this.#closed ) {
			return;
		}
		if ( event.jsep ) {
			await pc.setRemoteDescription( event.jsep );
		}
		this.#onPublisherEvent( event.plugindata?.data ?? {} );
	}

	#onPublisherEvent( data: Json ): void {
		if ( Array.isArray( data.publishers ) ) {
			for ( const p of data.publishers as Json[] ) {
				void this.#subscribe(
					Number( p.id ),
					String( p.display ?? '' )
				).catch( ( error: unknown ) =>
					this.#o.log?.( '[bkx-room] sfu subscribe failed', error )
				);
			}
		}
		for ( const gone of [ data.leaving, data.unpublished, data.kicked ] ) {
			if ( typeof gone === 'number' ) {
				this.#unsubscribe( gone );
			}
		}
		if (
			data.videoroom === 'destroyed' ||
			data.leaving === 'ok' ||
			data.kicked === this.#o.access.feed
		) {
			this.#fail( new Error( 'Janus: left the room' ) );
		}
	}

	// ── Watching ──────────────────────────────────────────────────────────────

	async #subscribe( feed: number, peer: string ): Promise< void > {
		if (
			feed === this.#o.access.feed ||
			this.#subs.has( feed ) ||
			this.#closed
		) {
			return;
		}
		// A reloaded page publishes again under a new feed: the newest one of a peer wins.
		for ( const s of [ ...this.#subs.values() ] ) {
			if ( s.peer === peer ) {
				this.#unsubscribe( s.feed );
			}
		}
		const handle = await this.#attach();
		const pc = this.#o.createPeerConnection( this.#o.config );
		const sub: Subscription = { feed, handle, pc, peer, stream: null };
		this.#subs.set( feed, sub );
		pc.ontrack = ( e ) => {
			if ( this.#subs.get( feed ) !== sub ) {
				return;
			}
			const tracks = pc
				.getReceivers()
				.map( ( r ) => r.track )
				.filter( ( t ) => t && t.readyState !== 'ended' );
			sub.stream = e.streams[ 0 ] ?? this.#o.createStream( tracks );
			this.#o.onStream( peer, sub.stream );
		};
		const { access } = this.#o;
		const event = await this.#message( handle, {
			request: 'join',
			ptype: 'subscriber',
			room: access.room,
			pin: access.pin,
			streams: [ { feed } ],
		} );
		if ( this.#subs.get( feed ) !== sub || ! event.jsep ) {
			return;
		}
		// Our candidates gather only once the answer is set: this is in time.
		const ready = this.#trickle( handle, pc );
		await pc.setRemoteDescription( event.jsep );
		await pc.setLocalDescription( await pc.createAnswer() );
		await this.#message(
			handle,
			{ request: 'start' },
			pc.localDescription
		);
		ready();
	}

	#unsubscribe( feed: number ): void {
		const sub = this.#subs.get( feed );
		if ( ! sub ) {
			return;
		}
		this.#subs.delete( feed );
		sub.pc.close();
		void this.#post( `/${ this.#session }/${ sub.handle }`, {
			janus: 'detach',
		} ).catch( () => undefined );
		if (
			! [ ...this.#subs.values() ].some( ( s ) => s.peer === sub.peer )
		) {
			this.#o.onStream( sub.peer, null );
		}
	}
}

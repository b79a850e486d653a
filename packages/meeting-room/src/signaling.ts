/**
 * One signaling WebSocket: joins on open, keeps itself alive with `ping` every 20 s, and reports a
 * connection that went silent as dropped (a dead TCP connection can take minutes to close).
 * Reconnecting is the client's job; a new SignalingSocket is made for each try.
 */

/**
 * Internal dependencies
 */
import type { ClientMessage, ServerMessage } from './protocol';
import { encodeClientMessage, parseServerMessage } from './protocol';

/** The part of `WebSocket` used here (a fake in tests). */
export interface SocketLike {
	readonly readyState: number;
	send: ( data: string ) => void;
	close: ( code?: number, reason?: string ) => void;
	onopen: ( ( event: unknown ) => void ) | null;
	onmessage: ( ( event: { data: unknown } ) => void ) | null;
	onclose: ( ( event: { code: number; reason: string } ) => void ) | null;
	onerror: ( ( event: unknown ) => void ) | null;
}

export type SocketFactory = ( url: string ) => SocketLike;

const OPEN = 1;
export const PING_INTERVAL_MS = 20_000;
/** No message at all (not even a pong) for this long: the connection is dead. */
export const SILENCE_LIMIT_MS = 50_000;
/** Close code reported for a connection dropped without a close frame (as browsers do). */
export const ABNORMAL_CLOSE = 1006;

export interface SignalingHandlers {
	onOpen: () => void;
	onMessage: ( message: ServerMessage ) => void;
	/** Once per socket, whoever closed it (not after {@link SignalingSocket.close}). */
	onClose: ( code: number, reason: string ) => void;
}

export class SignalingSocket {
	#socket: SocketLike;
	#handlers: SignalingHandlers;
	#now: () => number;
	#lastMessageAt: number;
	#ping: ReturnType< typeof setInterval > | undefined;
	#done = false;

	/**
	 * Opens the socket.
	 * @param url      `signalingUrl( ticket )`.
	 * @param create   WebSocket factory.
	 * @param handlers Callbacks.
	 * @param now      Clock.
	 */
	constructor(
		url: string,
		create: SocketFactory,
		handlers: SignalingHandlers,
		now: () => number = Date.now
	) {
		this.#handlers = handlers;
		this.#now = now;
		this.#lastMessageAt = now();
		this.#socket = create( url );
		this.#socket.onopen = () => {
			this.#lastMessageAt = this.#now();
			this.#ping = setInterval(
				() => this.#keepAlive(),
				PING_INTERVAL_MS
			);
			this.#handlers.onOpen();
		};
		this.#socket.onmessage = ( event ) => {
			this.#lastMessageAt = this.#now();
			const message = parseServerMessage( event.data );
			if ( message ) {
				this.#handlers.onMessage( message );
			}
		};
		this.#socket.onclose = ( event ) =>
			this.#finish( event.code, event.reason, true );
		// An error is always followed by close; nothing to do here.
		this.#socket.onerror = () => undefined;
	}

	get isOpen(): boolean {
		return ! this.#done && this.#socket.readyState === OPEN;
	}

	/**
	 * Sends a message if the socket is open.
	 * @param message The message.
	 * @return Whether it was sent.
	 */
	send( message: ClientMessage ): boolean {
		if ( ! this.isOpen ) {
			return false;
		}
		this.#socket.send( encodeClientMessage( message ) );
		return true;
	}

	/**
	 * Closes without reporting (the caller knows why).
	 * @param code   Close code.
	 * @param reason Close reason.
	 */
	close( code = 1000, reason = '' ): void {
		this.#finish( code, reason, false );
	}

	#keepAlive(): void {
		if ( this.#now() - this.#lastMessageAt > SILENCE_LIMIT_MS ) {
			this.#finish( ABNORMAL_CLOSE, 'silent', true );
			return;
		}
		this.send( { type: 'ping' } );
	}

	#finish( code: number, reason: string, report: boolean ): void {
		if ( this.#done ) {
			return;
		}
		this.#done = true;
		clearInterval( this.#ping );
		const socket = this.#socket;
		socket.onopen =
			socket.onmessage =
			socket.onclose =
			socket.onerror =
				null;
		try {
			socket.close( code >= 4000 || code === 1000 ? code : 1000, reason );
		} catch {
			// Already closed.
		}
		if ( report ) {
			this.#handlers.onClose( code, reason );
		}
	}
}

/**
 * The wire side of the signaling socket (contracts/room.ts) without zod: the URL, and a light
 * check of each incoming message, enough that a malformed one is dropped instead of breaking the
 * room. The sidecar is the one that validates strictly.
 */

/**
 * Internal dependencies
 */
import type {
	ClientMessage,
	PeerInfo,
	RoomTicket,
	ServerMessage,
} from '@bkx-video/contracts';

export type { ClientMessage, ServerMessage };

/** A `signal` as received. */
export type ServerSignal = Extract< ServerMessage, { type: 'signal' } >;
/** The payload of a `signal` (what one peer connection sends to its remote end). */
export type SignalPayload = Pick< ServerSignal, 'description' | 'candidate' >;

/**
 * `signaling_url` with the ticket's token (`?token=`, or `&token=` if the URL has a query).
 * @param ticket From `getTicket()`.
 */
export function signalingUrl(
	ticket: Pick< RoomTicket, 'signaling_url' | 'token' >
): string {
	const glue = ticket.signaling_url.includes( '?' ) ? '&' : '?';
	return `${ ticket.signaling_url }${ glue }token=${ encodeURIComponent( ticket.token ) }`;
}

type Json = Record< string, unknown >;

const isObject = ( v: unknown ): v is Json =>
	typeof v === 'object' && v !== null && ! Array.isArray( v );
const isString = ( v: unknown ): v is string => typeof v === 'string';
const isBool = ( v: unknown ): v is boolean => typeof v === 'boolean';

function isPeerInfo( v: unknown ): v is PeerInfo {
	return (
		isObject( v ) &&
		isString( v.id ) &&
		isString( v.name ) &&
		( v.role === 'host' || v.role === 'participant' ) &&
		isBool( v.audio ) &&
		isBool( v.video ) &&
		isBool( v.screen )
	);
}

const LEVELS = new Set( [ 'good', 'fair', 'poor' ] );

function isValid( m: Json ): boolean {
	switch ( m.type ) {
		case 'welcome':
			return (
				isPeerInfo( m.self ) &&
				Array.isArray( m.peers ) &&
				m.peers.every( isPeerInfo ) &&
				isBool( m.resumed )
			);
		case 'waiting':
			return isPeerInfo( m.self ) && isBool( m.host_present );
		case 'lobby':
			return (
				Array.isArray( m.waiting ) &&
				m.waiting.every(
					( w ) =>
						isObject( w ) && isString( w.id ) && isString( w.name )
				)
			);
		case 'peer-joined':
			return isPeerInfo( m.peer );
		case 'peer-left':
			return isString( m.peer );
		case 'signal':
			return (
				isString( m.from ) &&
				( m.description === undefined ||
					( isObject( m.description ) &&
						isString( m.description.type ) ) ) &&
				( m.candidate === undefined ||
					m.candidate === null ||
					( isObject( m.candidate ) &&
						isString( m.candidate.candidate ) ) )
			);
		case 'chat':
			return (
				isString( m.from ) &&
				isString( m.name ) &&
				isString( m.text ) &&
				isString( m.at )
			);
		case 'board':
			return (
				isString( m.from ) &&
				isObject( m.op ) &&
				( m.op.kind === 'clear' ||
					( m.op.kind === 'stroke' &&
						isString( m.op.id ) &&
						isString( m.op.color ) &&
						typeof m.op.width === 'number' &&
						Array.isArray( m.op.points ) ) )
			);
		case 'file-shared':
			return (
				typeof m.id === 'number' &&
				isString( m.name ) &&
				typeof m.size === 'number' &&
				isString( m.mime ) &&
				isString( m.from ) &&
				isString( m.from_name ) &&
				isString( m.at )
			);
		case 'media':
			return (
				isString( m.peer ) &&
				isBool( m.audio ) &&
				isBool( m.video ) &&
				isBool( m.screen )
			);
		case 'connection-quality-changed':
			return isString( m.peer ) && LEVELS.has( m.level as string );
		case 'recording-started':
		case 'recording-stopped':
			return isString( m.by );
		case 'recording-consent-requested':
			return isString( m.by ) && isString( m.take );
		case 'recording-pending':
			return (
				isString( m.by ) &&
				isString( m.take ) &&
				Array.isArray( m.waiting )
			);
		case 'ended':
			return isString( m.reason );
		case 'error':
			return (
				isString( m.code ) && isString( m.message ) && isBool( m.fatal )
			);
		case 'pong':
			return true;
		case 'sfu':
			return (
				isObject( m.access ) &&
				isString( m.access.janus_url ) &&
				typeof m.access.room === 'number' &&
				isString( m.access.pin ) &&
				isString( m.access.token ) &&
				typeof m.access.feed === 'number' &&
				isString( m.access.display )
			);
		default:
			return false;
	}
}

/**
 * The message in a text frame, or null when it is not one this client knows (dropped).
 * @param data `MessageEvent.data`.
 */
export function parseServerMessage( data: unknown ): ServerMessage | null {
	if ( typeof data !== 'string' ) {
		return null;
	}
	let value: unknown;
	try {
		value = JSON.parse( data );
	} catch {
		return null;
	}
	return isObject( value ) && isValid( value )
		? ( value as ServerMessage )
		: null;
}

/**
 * The JSON text of a message to the sidecar.
 * @param message A client message.
 */
export function encodeClientMessage( message: ClientMessage ): string {
	return JSON.stringify( message );
}

/**
 * Microsoft Graph change notifications (platform-contracts §2.5): the envelope, the clientState
 * check, the key that makes a retried delivery a duplicate, and the call events of a Teams meeting
 * (beta: CallStarted, CallEnded, CallRosterUpdate with `activeParticipants@joined` / `@exited`).
 *
 * The call-event payload is documented only by example [U]: Microsoft's sample spells its keys in
 * PascalCase (`Identity.User.Id`, `DisplayName`), other Graph payloads in camelCase, so keys are
 * read case-insensitively. It names people by their Entra object id and display name, rarely by
 * e-mail: the provider (the meeting's organizer) is recognised by the object id we made the meeting
 * with; everyone else is the customer or a guest.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { z } from 'zod';

/** Longest validation token we echo (Graph's are about 100 characters). */
export const MAX_VALIDATION_TOKEN = 2048;

/** One item of `{"value":[…]}`: a change notification, or a lifecycle notification. */
export const GraphNotificationItemSchema = z
	.object( {
		id: z.string().optional(),
		subscriptionId: z.string().min( 1 ).max( 100 ),
		subscriptionExpirationDateTime: z.string().optional(),
		clientState: z.string().max( 256 ).nullable().optional(),
		changeType: z.string().optional(),
		resource: z.string().optional(),
		tenantId: z.string().optional(),
		lifecycleEvent: z.string().optional(),
		resourceData: z.record( z.string(), z.unknown() ).optional(),
	} )
	.loose();
export type GraphNotificationItem = z.infer< typeof GraphNotificationItemSchema >;

export const GraphNotificationBatchSchema = z.object( { value: z.array( GraphNotificationItemSchema ).min( 1 ).max( 1000 ) } ).loose();

/** SHA-256 of a clientState, as stored. */
export function hashClientState( clientState: string ): string {
	return createHash( 'sha256' ).update( clientState, 'utf8' ).digest( 'hex' );
}

/**
 * Whether `given` is the clientState whose hash we stored, compared in constant time (hashes of
 * equal length, whatever was sent). A missing hash or value never matches.
 */
export function clientStateMatches( given: string | null | undefined, storedHash: string | null ): boolean {
	const expected = Buffer.from( storedHash ?? '0'.repeat( 64 ), 'hex' );
	const actual = Buffer.from( hashClientState( given ?? '' ), 'hex' );
	const equal = expected.length === actual.length && timingSafeEqual( expected, actual );
	return equal && Boolean( storedHash ) && typeof given === 'string' && given.length > 0;
}

/**
 * What makes two deliveries the same notification: Graph retries the same bytes, so the item's
 * `id` when it has one, else the item itself (hashed, without the clientState), within its
 * subscription. An item with neither an `id` nor an `eventDateTime` (lifecycle events, some call
 * events) could recur with the same content (a second reauthorizationRequired, someone joining
 * twice), so the minute it arrived is part of its key: a retry within that minute is a duplicate,
 * a later one is applied again, which every handler tolerates (they compare with what is stored).
 */
export function teamsEventKey( item: GraphNotificationItem, receivedAt: Date ): string {
	const digest = createHash( 'sha256' ).update( item.subscriptionId ).update( '\n' );
	if ( item.id ) {
		digest.update( `id:${ item.id }` );
	} else {
		const { clientState: _secret, ...rest } = item;
		digest.update( JSON.stringify( rest ) );
		const stamped = Object.keys( item.resourceData ?? {} ).some( ( k ) => k.toLowerCase() === 'eventdatetime' );
		if ( ! stamped ) {
			digest.update( `\nminute:${ Math.floor( receivedAt.getTime() / 60_000 ) }` );
		}
	}
	const kind = item.lifecycleEvent ? `lifecycle.${ item.lifecycleEvent }` : 'notification';
	return `${ kind.slice( 0, 60 ) }:${ digest.digest( 'hex' ).slice( 0, 40 ) }`;
}

/** A person in a roster update, as far as Graph tells. */
export interface CallParticipant {
	/** Stable per person within the meeting: the Entra/guest/ACS id, else the call leg's id. */
	key: string;
	/** The Entra object id of a signed-in user (the organizer is recognised by it). */
	userId: string | null;
	name: string;
	email: string | null;
}

export type CallEventType = 'CallStarted' | 'CallEnded' | 'CallRosterUpdate';

export interface CallEvent {
	type: CallEventType;
	/** `eventDateTime` when Graph sends it. */
	at: Date | null;
	joined: CallParticipant[];
	exited: CallParticipant[];
}

const lower = ( value: unknown ): Record< string, unknown > => {
	if ( ! value || typeof value !== 'object' || Array.isArray( value ) ) {
		return {};
	}
	return Object.fromEntries( Object.entries( value as Record< string, unknown > ).map( ( [ k, v ] ) => [ k.toLowerCase(), v ] ) );
};
const text = ( value: unknown ): string | null => ( typeof value === 'string' && value.trim() ? value.trim() : null );

/** One entry of `activeParticipants@joined|@exited`: `{Id, Identity:{User|Guest|…:{Id, DisplayName}}}`. */
export function parseCallParticipant( value: unknown ): CallParticipant | null {
	const p = lower( value );
	const identity = lower( p.identity );
	const user = lower( identity.user );
	// The first identity set (user, guest, phone, ACS user …) names the person.
	const other = Object.values( identity ).map( lower ).find( ( i ) => text( i.id ) || text( i.displayname ) ) ?? {};
	const who = Object.keys( user ).length ? user : other;
	const email = text( p.email ) ?? text( who.email ) ?? text( who.userprincipalname ) ?? text( p.userprincipalname );
	const key = text( who.id ) ?? text( p.id ) ?? email;
	if ( ! key ) {
		return null;
	}
	return {
		key: key.slice( 0, 191 ),
		userId: text( user.id ),
		name: ( text( who.displayname ) ?? text( p.displayname ) ?? email ?? 'Participant' ).slice( 0, 100 ),
		email: email && email.includes( '@' ) ? email.slice( 0, 255 ) : null,
	};
}

/** The call event in a notification's `resourceData`, or null when it carries none we know. */
export function parseCallEvent( resourceData: Record< string, unknown > | undefined ): CallEvent | null {
	const data = lower( resourceData );
	const raw = text( data.eventtype );
	const type = raw?.replace( /^Microsoft\.Communication\./i, '' );
	if ( type !== 'CallStarted' && type !== 'CallEnded' && type !== 'CallRosterUpdate' ) {
		return null;
	}
	const list = ( value: unknown ) => ( Array.isArray( value ) ? value.map( parseCallParticipant ).filter( ( p ): p is CallParticipant => p !== null ) : [] );
	const when = text( data.eventdatetime );
	const at = when ? new Date( when ) : null;
	return {
		type,
		at: at && ! Number.isNaN( at.getTime() ) ? at : null,
		joined: list( data[ 'activeparticipants@joined' ] ),
		exited: list( data[ 'activeparticipants@exited' ] ),
	};
}

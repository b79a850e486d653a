/**
 * The built-in room's whiteboard in the signaling hub: strokes relayed to the others (not back to
 * the drawer), replayed in order to a newcomer since the last clear, refused from the waiting room,
 * and validated (points outside the board, too many points, a bad colour).
 */
import { describe, expect, it } from 'vitest';

import type { ServerMessage } from '@bkx-video/contracts';

import { createRoomHub, type RoomConfig, type RoomConn, type RoomPerson } from '../src/rooms/room-hub';

const config: RoomConfig = { roomId: 'r_board', consultationId: 1, password: null, waitingRoom: true, maxParticipants: 5, endOnHostLeave: false, chat: true, screenShare: true };
const person = ( key: string, role: RoomPerson[ 'role' ] ): RoomPerson => ( { key, name: key, role, userId: 0, email: null } );

function conn() {
	const inbox: ServerMessage[] = [];
	const c: RoomConn & { inbox: ServerMessage[] } = { inbox, send: ( m ) => inbox.push( m ), close: () => undefined };
	return c;
}
const stroke = ( id: string, points: Array< [ number, number ] > ) => ( { type: 'board', op: { kind: 'stroke', id, color: '#1e73be', width: 3, points } } );
const boards = ( c: { inbox: ServerMessage[] } ) => c.inbox.filter( ( m ): m is Extract< ServerMessage, { type: 'board' } > => m.type === 'board' );

describe( 'whiteboard', () => {
	it( 'relays strokes to the others and replays the board since the last clear to a newcomer', () => {
		const hub = createRoomHub( { clock: () => new Date(), events: { joined: () => undefined, left: () => undefined, ended: () => undefined } } );
		const host = conn();
		const hs = hub.attach( config, person( 'wp-1', 'host' ), host );
		hs.message( JSON.stringify( { type: 'join' } ) );
		const guest = conn();
		const gs = hub.attach( config, person( 'customer-1', 'participant' ), guest );
		gs.message( JSON.stringify( { type: 'join' } ) );

		// From the waiting room nothing is drawn.
		gs.message( JSON.stringify( stroke( 'early1', [ [ 0.1, 0.1 ] ] ) ) );
		expect( guest.inbox.at( -1 ) ).toMatchObject( { type: 'error', code: 'forbidden' } );
		const waitingId = ( host.inbox.find( ( m ) => m.type === 'lobby' ) as Extract< ServerMessage, { type: 'lobby' } > ).waiting[ 0 ]!.id;
		hs.message( JSON.stringify( { type: 'admit', peer: waitingId } ) );

		hs.message( JSON.stringify( stroke( 'aaaa1', [ [ 0.1, 0.2 ], [ 0.3, 0.4 ] ] ) ) );
		hs.message( JSON.stringify( { type: 'board', op: { kind: 'clear' } } ) );
		hs.message( JSON.stringify( stroke( 'bbbb2', [ [ 0.5, 0.5 ] ] ) ) );
		gs.message( JSON.stringify( stroke( 'cccc3', [ [ 0.9, 0.9 ], [ 1, 1 ] ] ) ) );
		expect( boards( guest ).map( ( m ) => m.op.kind === 'stroke' ? m.op.id : 'clear' ) ).toEqual( [ 'aaaa1', 'clear', 'bbbb2' ] );
		expect( boards( host ).map( ( m ) => ( m.op.kind === 'stroke' ? m.op.id : 'clear' ) ) ).toEqual( [ 'cccc3' ] );
		expect( boards( host )[ 0 ]!.from ).toBe( waitingId );

		// A newcomer (a second host) gets the board since the clear, in order.
		const late = conn();
		hub.attach( config, person( 'wp-2', 'host' ), late ).message( JSON.stringify( { type: 'join' } ) );
		expect( boards( late ).map( ( m ) => ( m.op.kind === 'stroke' ? m.op.id : 'clear' ) ) ).toEqual( [ 'bbbb2', 'cccc3' ] );
	} );

	it( 'refuses points off the board, oversized strokes and bad colours', () => {
		const hub = createRoomHub( { clock: () => new Date(), events: { joined: () => undefined, left: () => undefined, ended: () => undefined } } );
		const host = conn();
		const hs = hub.attach( config, person( 'wp-1', 'host' ), host );
		hs.message( JSON.stringify( { type: 'join' } ) );
		for ( const bad of [
			stroke( 'dddd4', [ [ 1.5, 0.2 ] ] ),
			stroke( 'eeee5', Array.from( { length: 257 }, () => [ 0.5, 0.5 ] as [ number, number ] ) ),
			{ type: 'board', op: { kind: 'stroke', id: 'ffff6', color: 'red', width: 3, points: [ [ 0, 0 ] ] } },
			{ type: 'board', op: { kind: 'erase' } },
		] ) {
			host.inbox.length = 0;
			hs.message( JSON.stringify( bad ) );
			expect( host.inbox ).toEqual( [ expect.objectContaining( { type: 'error', code: 'invalid_message' } ) ] );
		}
	} );

	it( 'replays chat and whiteboard to a reloaded page that resumes its place, not to a dropped socket that comes back', () => {
		const hub = createRoomHub( { clock: () => new Date(), events: { joined: () => undefined, left: () => undefined, ended: () => undefined } } );
		const open = { ...config, waitingRoom: false };
		const host = conn();
		hub.attach( open, person( 'wp-1', 'host' ), host ).message( JSON.stringify( { type: 'join' } ) );
		const first = conn();
		const fs = hub.attach( open, person( 'customer-1', 'participant' ), first );
		fs.message( JSON.stringify( { type: 'join', history: true } ) );
		fs.message( JSON.stringify( { type: 'chat', text: 'Before the reload' } ) );
		fs.message( JSON.stringify( stroke( 'gggg7', [ [ 0.2, 0.2 ] ] ) ) );
		fs.closed();

		const reloaded = conn();
		hub.attach( open, person( 'customer-1', 'participant' ), reloaded ).message( JSON.stringify( { type: 'join', history: true } ) );
		expect( reloaded.inbox.map( ( m ) => m.type ) ).toEqual( [ 'welcome', 'chat', 'board' ] );
		expect( reloaded.inbox[ 0 ] ).toMatchObject( { resumed: true } );

		const socketBack = conn();
		hub.attach( open, person( 'customer-1', 'participant' ), socketBack ).message( JSON.stringify( { type: 'join', history: false } ) );
		expect( socketBack.inbox.map( ( m ) => m.type ) ).toEqual( [ 'welcome' ] );
	} );
} );

import { describe, expect, it } from 'vitest';

import { parseServerMessage, signalingUrl } from '../src/protocol';
import { sprintf } from '../src/i18n';
import { peer } from './fakes';

describe( 'signalingUrl', () => {
	it( 'adds the url-encoded token as ?token=, or &token= after an existing query', () => {
		expect(
			signalingUrl( {
				signaling_url: 'wss://s.test/ws',
				token: 'a b/c+d',
			} )
		).toBe( 'wss://s.test/ws?token=a%20b%2Fc%2Bd' );
		expect(
			signalingUrl( {
				signaling_url: 'wss://s.test/ws?room=1',
				token: 't',
			} )
		).toBe( 'wss://s.test/ws?room=1&token=t' );
	} );
} );

describe( 'parseServerMessage', () => {
	it( 'accepts every message of the contract', () => {
		const messages = [
			{
				type: 'welcome',
				self: peer( 'p_aaaaaa', 'A' ),
				peers: [ peer( 'p_bbbbbb', 'B', 'host' ) ],
				resumed: false,
			},
			{
				type: 'waiting',
				self: peer( 'p_aaaaaa', 'A' ),
				host_present: true,
			},
			{ type: 'lobby', waiting: [ { id: 'p_cccccc', name: 'C' } ] },
			{ type: 'peer-joined', peer: peer( 'p_bbbbbb', 'B' ) },
			{ type: 'peer-left', peer: 'p_bbbbbb' },
			{
				type: 'signal',
				from: 'p_bbbbbb',
				description: { type: 'offer', sdp: 'v=0' },
			},
			{
				type: 'signal',
				from: 'p_bbbbbb',
				candidate: {
					candidate: 'candidate:1',
					sdpMid: '0',
					sdpMLineIndex: 0,
				},
			},
			{ type: 'signal', from: 'p_bbbbbb', candidate: null },
			{
				type: 'chat',
				from: 'p_bbbbbb',
				name: 'B',
				text: 'hi',
				at: '2030-01-01T10:00:00Z',
			},
			{
				type: 'media',
				peer: 'p_bbbbbb',
				audio: false,
				video: true,
				screen: false,
			},
			{
				type: 'connection-quality-changed',
				peer: 'p_bbbbbb',
				level: 'poor',
			},
			{ type: 'recording-started', by: 'p_bbbbbb' },
			{ type: 'recording-stopped', by: 'p_bbbbbb' },
			{ type: 'ended', reason: 'host_ended' },
			{ type: 'error', code: 'room_full', message: 'Full', fatal: true },
			{ type: 'pong' },
		];
		for ( const m of messages ) {
			expect( parseServerMessage( JSON.stringify( m ) ) ).toEqual( m );
		}
	} );

	it( 'drops what it cannot use instead of throwing', () => {
		for ( const raw of [
			'not json',
			'[]',
			'null',
			JSON.stringify( { type: 'hello' } ),
			JSON.stringify( {
				type: 'welcome',
				self: { id: 'p_a' },
				peers: [],
				resumed: false,
			} ),
			JSON.stringify( {
				type: 'connection-quality-changed',
				peer: 'p_b',
				level: 'great',
			} ),
			JSON.stringify( { type: 'error', code: 'x' } ),
		] ) {
			expect( parseServerMessage( raw ) ).toBeNull();
		}
		expect( parseServerMessage( new ArrayBuffer( 4 ) ) ).toBeNull();
	} );
} );

describe( 'sprintf', () => {
	it( 'fills %s, %d and numbered placeholders as translations use them', () => {
		expect( sprintf( '%s joined.', 'Ana' ) ).toBe( 'Ana joined.' );
		expect( sprintf( '%1$d / %2$d characters', 12, 2000 ) ).toBe(
			'12 / 2000 characters'
		);
		expect( sprintf( '%2$s, %1$s', 'a', 'b' ) ).toBe( 'b, a' );
		expect( sprintf( '100%% of %s', 'x' ) ).toBe( '100% of x' );
		expect( sprintf( '%s and %s', 'only' ) ).toBe( 'only and %s' );
	} );
} );

/**
 * Two PeerLinks talking through a message queue (the sidecar's relay), on the fake
 * RTCPeerConnection's offer/answer state machine: perfect negotiation must never deadlock or
 * glare, whoever starts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { PeerLink, isPolite, sdpFingerprint } from '../src/peers';
import type { SignalPayload } from '../src/protocol';
import {
	FakePeerConnection,
	FakeTrack,
	createPeerConnection,
	createStream,
	flush,
	reset,
} from './fakes';

const A = 'p_aaaaaa'; // impolite towards B
const B = 'p_bbbbbb'; // polite towards A

interface Wire {
	queue: Array< { to: PeerLink; signal: SignalPayload } >;
	up: boolean;
	dropped: number;
}

function pair() {
	const wire: Wire = { queue: [], up: true, dropped: 0 };
	const links: { a?: PeerLink; b?: PeerLink } = {};
	const make = (
		self: string,
		remote: string,
		other: () => PeerLink | undefined
	) =>
		new PeerLink( {
			selfId: self,
			remoteId: remote,
			config: {},
			createPeerConnection,
			createStream,
			send: ( signal ) => {
				const to = other();
				if ( ! wire.up || ! to ) {
					wire.dropped++;
					return false;
				}
				wire.queue.push( { to, signal } );
				return true;
			},
			canSignal: () => wire.up,
			localTrack: ( kind ) =>
				new FakeTrack( kind ) as unknown as MediaStreamTrack,
			onChange: () => undefined,
			now: () => Date.now(),
		} );
	links.a = make( A, B, () => links.b );
	links.b = make( B, A, () => links.a );
	/** Delivers queued messages (in order) until both sides are quiet. */
	const deliver = async () => {
		for ( let round = 0; round < 50; round++ ) {
			await flush( 20 );
			const batch = wire.queue.splice( 0 );
			if ( ! batch.length ) {
				return;
			}
			for ( const { to, signal } of batch ) {
				await to.handleSignal( signal );
			}
		}
		throw new Error( 'negotiation did not settle' );
	};
	/** B's tab reloads: its old connection is gone, a new one (new certificate) takes over. */
	const replaceB = () => {
		links.b?.close();
		links.b = make( B, A, () => links.a );
		return links.b;
	};
	return { a: links.a, b: links.b, wire, deliver, replaceB };
}

const fp = ( link: PeerLink ) =>
	( link.pc as unknown as FakePeerConnection ).fingerprint;
const remoteFp = ( link: PeerLink ) =>
	sdpFingerprint( link.pc.remoteDescription?.sdp );
const settled = ( ...links: PeerLink[] ) =>
	links.every( ( l ) => l.pc.signalingState === 'stable' );

beforeEach( () => reset() );
afterEach( () => vi.useRealTimers() );

describe( 'perfect negotiation', () => {
	it( 'is polite when its id sorts after the other', () => {
		expect( isPolite( B, A ) ).toBe( true );
		expect( isPolite( A, B ) ).toBe( false );
	} );

	it( 'connects when one side offers', async () => {
		const { a, b, deliver } = pair();
		b.offer();
		await deliver();
		expect( settled( a, b ) ).toBe( true );
		expect( remoteFp( a ) ).toBe( fp( b ) );
		expect( remoteFp( b ) ).toBe( fp( a ) );
		expect( a.stream?.getTracks() ).toHaveLength( 2 );
	} );

	it( 'resolves glare when both offer at once: the polite side yields', async () => {
		const { a, b, deliver } = pair();
		a.offer();
		b.offer();
		await deliver();
		expect( settled( a, b ) ).toBe( true );
		expect( remoteFp( a ) ).toBe( fp( b ) );
		expect( remoteFp( b ) ).toBe( fp( a ) );
		// A's transceivers won; B adopted them rather than adding its own.
		expect(
			( b.pc as unknown as FakePeerConnection ).transceivers
		).toHaveLength( 2 );
	} );

	it( 'survives ICE restarts from both sides at the same time', async () => {
		const { a, b, deliver } = pair();
		a.offer();
		await deliver();
		a.restartIce();
		b.restartIce();
		await deliver();
		expect( settled( a, b ) ).toBe( true );
		expect( remoteFp( a ) ).toBe( fp( b ) );
	} );

	it( 'sends an unanswered offer again once the socket is back', async () => {
		vi.useFakeTimers();
		const { a, b, wire, deliver } = pair();
		wire.up = false;
		a.offer();
		await flush( 20 );
		expect( wire.dropped ).toBe( 1 );
		expect( a.pc.signalingState ).toBe( 'have-local-offer' );
		wire.up = true;
		vi.advanceTimersByTime( 6_000 );
		a.tick();
		await deliver();
		expect( settled( a, b ) ).toBe( true );
		expect( remoteFp( b ) ).toBe( fp( a ) );
	} );

	it( 'rebuilds when the other side comes with a new connection (new DTLS fingerprint)', async () => {
		const { a, deliver, replaceB } = pair();
		a.offer();
		await deliver();
		const oldA = a.pc;
		const b2 = replaceB();
		b2.offer();
		await deliver();
		expect( a.pc ).not.toBe( oldA );
		expect( ( oldA as unknown as FakePeerConnection ).closed ).toBe( true );
		expect( settled( a, b2 ) ).toBe( true );
		expect( remoteFp( a ) ).toBe( fp( b2 ) );
		expect( remoteFp( b2 ) ).toBe( fp( a ) );
	} );

	it( 'recovers when it restarts ICE on a kept connection but the other side has a new one', async () => {
		const { a, deliver, replaceB } = pair();
		a.offer();
		await deliver();
		// B rebuilt (peer-joined handling) and waits; A (resumed) restarts ICE on its old connection.
		const b2 = replaceB();
		a.restartIce();
		await deliver();
		expect( settled( a, b2 ) ).toBe( true );
		expect( remoteFp( a ) ).toBe( fp( b2 ) );
		expect( remoteFp( b2 ) ).toBe( fp( a ) );
	} );

	it( 'rebuilds after repeated failed restarts on the impolite side', async () => {
		const { a, b, deliver } = pair();
		a.offer();
		await deliver();
		const first = a.pc;
		for ( let i = 0; i < 4; i++ ) {
			a.restartIce();
			await deliver();
		}
		expect( a.pc ).not.toBe( first );
		expect( settled( a, b ) ).toBe( true );
		expect( remoteFp( b ) ).toBe( fp( a ) );
		expect( remoteFp( a ) ).toBe( fp( b ) );
	} );

	it( 'sets the encoding from getParameters (2.5 Mbps, then poor)', async () => {
		const { a, b, deliver } = pair();
		a.offer();
		await deliver();
		await a.applyProfile(
			{ maxBitrate: 500_000, scaleResolutionDownBy: 2, maxFramerate: 15 },
			true
		);
		await a.applyProfile(
			{ maxBitrate: 500_000, scaleResolutionDownBy: 2, maxFramerate: 15 },
			true
		);
		expect( a.reduced ).toBe( true );
		const sender = ( a.pc as unknown as FakePeerConnection )
			.transceivers[ 1 ]!.sender;
		expect( sender.setParametersCalls ).toEqual( [
			{ maxBitrate: 500_000, scaleResolutionDownBy: 2, maxFramerate: 15 },
		] );
		expect( b ).toBeDefined();
	} );
} );

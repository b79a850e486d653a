import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ROOM_CLOSE } from '@bkx-video/contracts/room-constants';
import { RoomClient } from '../src/client';
import {
	FakePeerConnection,
	FakeSocket,
	createPeerConnection,
	createStream,
	fakeDevices,
	flush,
	peer,
	reset,
	ticket,
} from './fakes';

const ME = 'p_mmmmmm';
const HOST = 'p_hhhhhh'; // < ME: we are polite towards the host
const ZED = 'p_zzzzzz'; // > ME: we are impolite towards zed

function setup(
	options: {
		room?: Parameters< typeof ticket >[ 0 ];
		devices?: ReturnType< typeof fakeDevices >;
	} = {}
) {
	let n = 0;
	const getTicket = vi.fn( async () =>
		ticket( options.room, `tok${ ++n }` )
	);
	const client = new RoomClient( {
		getTicket,
		createSocket: ( url ) => new FakeSocket( url ),
		createPeerConnection,
		createStream,
		mediaDevices: options.devices ?? fakeDevices(),
		random: () => 0.5,
	} );
	const topics: string[] = [];
	client.on( 'change', ( t ) => topics.push( t ) );
	return { client, getTicket, topics };
}

/**
 * load → preflight → join → socket open.
 * @param options
 * @param password
 */
async function joined(
	options: Parameters< typeof setup >[ 0 ] = {},
	password?: string
) {
	const s = setup( options );
	await s.client.load();
	await s.client.startLocalMedia();
	s.client.join( password );
	await flush();
	const socket = FakeSocket.last();
	socket.open();
	return { ...s, socket };
}

const pcs = () => FakePeerConnection.all;

beforeEach( () => reset() );
afterEach( () => {
	vi.useRealTimers();
} );

describe( 'RoomClient: joining', () => {
	it( 'loads a ticket for the preflight, then joins with a fresh one and the password', async () => {
		const { client, getTicket } = setup( {
			room: { password_required: true },
		} );
		await client.load();
		expect( client.phase ).toBe( 'preflight' );
		expect( client.ticketLatencyMs ).toBeGreaterThanOrEqual( 0 );
		// The preflight's unused ticket opens the first socket.
		client.join( 'sesame' );
		await flush();
		const socket = FakeSocket.last();
		expect( socket.url ).toBe(
			'wss://sidecar.test/v1/rooms/signal?token=tok1'
		);
		expect( getTicket ).toHaveBeenCalledTimes( 1 );
		socket.open();
		expect( socket.sent ).toEqual( [
			{ type: 'join', password: 'sesame', history: true },
		] );
	} );

	it( 'sends join without a password key when none is needed', async () => {
		const { socket } = await joined();
		// A fresh page asks for the room's chat and whiteboard.
		expect( socket.sent[ 0 ] ).toEqual( { type: 'join', history: true } );
	} );

	it( 'enters on welcome, offers to every peer already there, and tells its media state', async () => {
		const { client, socket } = await joined();
		socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [ peer( HOST, 'Host', 'host' ), peer( ZED, 'Zed' ) ],
			resumed: false,
		} );
		await flush();
		expect( client.phase ).toBe( 'joined' );
		expect( client.connection ).toBe( 'open' );
		expect( [ ...client.peerConnections().keys() ] ).toEqual( [
			HOST,
			ZED,
		] );
		const offers = socket.sentOfType( 'signal' );
		expect( offers.map( ( m ) => m.to ) ).toEqual( [ HOST, ZED ] );
		expect(
			offers.every(
				( m ) => ( m.description as { type: string } ).type === 'offer'
			)
		).toBe( true );
		expect( socket.sentOfType( 'media' ) ).toEqual( [
			{ type: 'media', audio: true, video: true, screen: false },
		] );
		// ICE servers and policy come from the ticket.
		expect( pcs()[ 0 ]?.config ).toMatchObject( {
			iceTransportPolicy: 'all',
			iceServers: ticket().ice_servers,
		} );
		// Audio then video, sending the local tracks.
		expect(
			pcs()[ 0 ]?.transceivers.map( ( t ) => t.sender.track?.kind )
		).toEqual( [ 'audio', 'video' ] );
		expect( client.startedAt ).not.toBeNull();
	} );

	it( 'answers a newcomer’s offer instead of offering itself', async () => {
		const { client, socket } = await joined();
		socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [],
			resumed: false,
		} );
		expect( client.startedAt ).toBeNull();
		const joinedEvents: string[] = [];
		client.on( 'peer-joined', ( p ) => joinedEvents.push( p.name ) );
		socket.receive( { type: 'peer-joined', peer: peer( ZED, 'Zed' ) } );
		await flush();
		expect( joinedEvents ).toEqual( [ 'Zed' ] );
		expect( socket.sentOfType( 'signal' ) ).toEqual( [] );
		socket.receive( {
			type: 'signal',
			from: ZED,
			description: {
				type: 'offer',
				sdp: 'v=0\r\na=fingerprint:sha-256 Z\r\na=x-kinds:audio,video\r\n',
			},
		} );
		socket.receive( {
			type: 'signal',
			from: ZED,
			candidate: {
				candidate: 'candidate:1 1 udp 1 10.0.0.2 5000 typ host',
				sdpMid: '0',
				sdpMLineIndex: 0,
			},
		} );
		await flush( 20 );
		const [ answer ] = socket.sentOfType( 'signal' );
		expect( answer ).toMatchObject( {
			to: ZED,
			description: { type: 'answer' },
		} );
		const pc = pcs()[ 0 ]!;
		expect( pc.candidates ).toHaveLength( 1 );
		// Sends on the offer's transceivers (no extra m-lines).
		expect(
			pc.transceivers.map( ( t ) => [
				t.direction,
				t.sender.track?.kind,
			] )
		).toEqual( [
			[ 'sendrecv', 'audio' ],
			[ 'sendrecv', 'video' ],
		] );
		expect( client.peers.get( ZED )?.stream ).not.toBeNull();
		expect( client.startedAt ).not.toBeNull();
	} );

	it( 'relays its ICE candidates to the right peer', async () => {
		const { socket } = await joined();
		socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [ peer( ZED, 'Zed' ) ],
			resumed: false,
		} );
		await flush();
		pcs()[ 0 ]!.emitCandidate(
			'candidate:9 1 udp 1 192.0.2.1 4000 typ srflx'
		);
		expect( socket.sentOfType( 'signal' ).at( -1 ) ).toEqual( {
			type: 'signal',
			to: ZED,
			candidate: {
				candidate: 'candidate:9 1 udp 1 192.0.2.1 4000 typ srflx',
				sdpMid: '0',
				sdpMLineIndex: 0,
				usernameFragment: 'u',
			},
		} );
	} );

	it( 'waits in the waiting room, showing whether the host is there, until admitted', async () => {
		const { client, socket } = await joined();
		socket.receive( {
			type: 'waiting',
			self: peer( ME, 'Me' ),
			host_present: false,
		} );
		expect( client.phase ).toBe( 'waiting' );
		expect( client.hostPresent ).toBe( false );
		socket.receive( {
			type: 'waiting',
			self: peer( ME, 'Me' ),
			host_present: true,
		} );
		expect( client.hostPresent ).toBe( true );
		socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [ peer( HOST, 'Host', 'host' ) ],
			resumed: false,
		} );
		expect( client.phase ).toBe( 'joined' );
	} );

	it( 'lets a host admit or deny the people in the lobby', async () => {
		const { client, socket } = await joined( { room: { role: 'host' } } );
		socket.receive( {
			type: 'welcome',
			self: peer( HOST, 'Host', 'host' ),
			peers: [],
			resumed: false,
		} );
		socket.receive( {
			type: 'lobby',
			waiting: [
				{ id: 'p_wwwwww', name: 'Walt' },
				{ id: 'p_vvvvvv', name: 'Vera' },
			],
		} );
		expect( client.lobby.map( ( w ) => w.name ) ).toEqual( [
			'Walt',
			'Vera',
		] );
		client.admit( 'p_wwwwww' );
		client.deny( 'p_vvvvvv' );
		client.end();
		// Admitted people leave the lobby when they join, whether or not a new list follows.
		socket.receive( {
			type: 'peer-joined',
			peer: peer( 'p_wwwwww', 'Walt' ),
		} );
		expect( client.lobby.map( ( w ) => w.name ) ).toEqual( [ 'Vera' ] );
		expect( socket.sent.slice( -3 ) ).toEqual( [
			{ type: 'admit', peer: 'p_wwwwww' },
			{ type: 'deny', peer: 'p_vvvvvv' },
			{ type: 'end' },
		] );
	} );
} );

describe( 'RoomClient: in the room', () => {
	async function inRoom( options: Parameters< typeof setup >[ 0 ] = {} ) {
		const j = await joined( options );
		j.socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [ peer( ZED, 'Zed' ) ],
			resumed: false,
		} );
		await flush();
		return j;
	}

	it( 'shows own chat at once and confirms it on the server’s echo; others’ chat is appended', async () => {
		const { client, socket } = await inRoom();
		expect( client.sendChat( '  hello  ' ) ).toBe( true );
		expect( socket.sent.at( -1 ) ).toEqual( {
			type: 'chat',
			text: 'hello',
		} );
		expect( client.chat ).toMatchObject( [
			{ text: 'hello', own: true, pending: true },
		] );
		socket.receive( {
			type: 'chat',
			from: ME,
			name: 'Me',
			text: 'hello',
			at: '2030-01-01T10:05:00Z',
		} );
		expect( client.chat ).toMatchObject( [
			{ text: 'hello', pending: false, at: '2030-01-01T10:05:00Z' },
		] );
		socket.receive( {
			type: 'chat',
			from: ZED,
			name: 'Zed',
			text: 'hi!',
			at: '2030-01-01T10:05:02Z',
		} );
		expect( client.chat.map( ( c ) => [ c.name, c.own ] ) ).toEqual( [
			[ 'Me', true ],
			[ 'Zed', false ],
		] );
	} );

	it( 'does not repeat chat the server replays after a reconnect', async () => {
		const { client, socket } = await inRoom();
		const zed = {
			type: 'chat',
			from: ZED,
			name: 'Zed',
			text: 'hi!',
			at: '2030-01-01T10:05:02Z',
		};
		socket.receive( zed );
		socket.receive( zed );
		expect( client.chat ).toHaveLength( 1 );
	} );

	it( 'refuses empty, too long, or disabled chat', async () => {
		const { client } = await inRoom();
		expect( client.sendChat( '   ' ) ).toBe( false );
		expect( client.sendChat( 'x'.repeat( 2001 ) ) ).toBe( false );
		const off = await inRoom( { room: { chat_enabled: false } } );
		expect( off.client.sendChat( 'hi' ) ).toBe( false );
	} );

	it( 'tracks peers’ media, reported quality and recording', async () => {
		const { client, socket } = await inRoom();
		socket.receive( {
			type: 'media',
			peer: ZED,
			audio: false,
			video: true,
			screen: true,
		} );
		socket.receive( {
			type: 'connection-quality-changed',
			peer: ZED,
			level: 'poor',
		} );
		socket.receive( { type: 'recording-started', by: ZED } );
		expect( client.peers.get( ZED ) ).toMatchObject( {
			info: { audio: false, screen: true },
			reportedQuality: 'poor',
		} );
		expect( client.recording ).toBe( true );
		socket.receive( { type: 'recording-stopped', by: ZED } );
		expect( client.recording ).toBe( false );
	} );

	it( 'mutes with track.enabled and tells the room', async () => {
		const { client, socket } = await inRoom();
		client.setAudioEnabled( false );
		client.setVideoEnabled( false );
		expect( client.local.audioTrack?.enabled ).toBe( false );
		expect( client.local.cameraTrack?.enabled ).toBe( false );
		expect( socket.sentOfType( 'media' ).at( -1 ) ).toEqual( {
			type: 'media',
			audio: false,
			video: false,
			screen: false,
		} );
	} );

	it( 'shares a screen with replaceTrack (no new offer) and goes back to the camera when it ends', async () => {
		const { client, socket } = await inRoom();
		const pc = pcs()[ 0 ]!;
		const offersBefore = socket.sentOfType( 'signal' ).length;
		await client.startScreenShare();
		await flush();
		const screen = client.local.screenTrack!;
		expect( screen.contentHint ).toBe( 'detail' );
		expect( pc.transceivers[ 1 ]?.sender.track ).toBe( screen );
		expect( socket.sentOfType( 'media' ).at( -1 ) ).toMatchObject( {
			screen: true,
		} );
		// The browser's "Stop sharing" button.
		screen.onended?.( new Event( 'ended' ) );
		await flush();
		expect( client.local.screenTrack ).toBeNull();
		expect( pc.transceivers[ 1 ]?.sender.track ).toBe(
			client.local.cameraTrack
		);
		expect( socket.sentOfType( 'media' ).at( -1 ) ).toMatchObject( {
			screen: false,
		} );
		expect( socket.sentOfType( 'signal' ).length ).toBe( offersBefore );
	} );

	it( 'does not share a screen when the room does not allow it', async () => {
		const { client } = await inRoom( {
			room: { screen_share_enabled: false },
		} );
		expect( client.canShareScreen ).toBe( false );
		await client.startScreenShare();
		expect( client.local.screenTrack ).toBeNull();
	} );

	it( 'closes the connection of a peer who left', async () => {
		const { client, socket } = await inRoom();
		const left: string[] = [];
		client.on( 'peer-left', ( p ) => left.push( p.name ) );
		socket.receive( { type: 'peer-left', peer: ZED } );
		expect( left ).toEqual( [ 'Zed' ] );
		expect( pcs()[ 0 ]?.closed ).toBe( true );
		expect( client.peers.size ).toBe( 0 );
	} );

	it( 'sends ping every 20 s, and treats 50 s of silence as a dropped socket', async () => {
		vi.useFakeTimers();
		const { client, socket } = await inRoom();
		vi.advanceTimersByTime( 20_000 );
		expect( socket.sentOfType( 'ping' ) ).toHaveLength( 1 );
		socket.receive( { type: 'pong' } );
		vi.advanceTimersByTime( 40_000 );
		expect( socket.sentOfType( 'ping' ) ).toHaveLength( 3 );
		vi.advanceTimersByTime( 20_000 ); // 60 s since the pong
		expect( client.connection ).toBe( 'reconnecting' );
		expect( socket.closedWith ).toBe( 1000 );
	} );

	it( 'sends its quality level only when it changes, and adapts the sender', async () => {
		const { client, socket } = await inRoom();
		const pc = pcs()[ 0 ]!;
		pc.stats.set( 'CP', {
			id: 'CP',
			type: 'candidate-pair',
			selected: true,
			currentRoundTripTime: 0.05,
		} );
		await client.sampleQuality();
		await flush();
		expect( socket.sentOfType( 'quality' ) ).toEqual( [] );
		// 2.5 Mbps from the first round.
		expect(
			pc.transceivers[ 1 ]?.sender.setParametersCalls.at( -1 )
		).toEqual( {
			maxBitrate: 2_500_000,
			scaleResolutionDownBy: 1,
			maxFramerate: 30,
		} );
		pc.stats.set( 'CP', {
			id: 'CP',
			type: 'candidate-pair',
			selected: true,
			currentRoundTripTime: 0.9,
		} );
		await client.sampleQuality();
		expect( client.quality ).toBe( 'good' ); // one bad reading is not enough
		await client.sampleQuality();
		await flush();
		expect( client.quality ).toBe( 'poor' );
		await client.sampleQuality();
		expect( socket.sentOfType( 'quality' ) ).toEqual( [
			{ type: 'quality', level: 'poor' },
		] );
		expect(
			pc.transceivers[ 1 ]?.sender.setParametersCalls.at( -1 )
		).toEqual( {
			maxBitrate: 500_000,
			scaleResolutionDownBy: 2,
			maxFramerate: 15,
		} );
		expect( client.stats().peers[ 0 ] ).toMatchObject( {
			id: ZED,
			quality: 'poor',
			sample: { rttMs: 900 },
		} );
		// Back to good after three good readings: full quality again.
		pc.stats.set( 'CP', {
			id: 'CP',
			type: 'candidate-pair',
			selected: true,
			currentRoundTripTime: 0.05,
		} );
		for ( let i = 0; i < 3; i++ ) {
			await client.sampleQuality();
		}
		await flush();
		expect( client.quality ).toBe( 'good' );
		expect(
			pc.transceivers[ 1 ]?.sender.setParametersCalls.at( -1 )
		).toEqual( {
			maxBitrate: 2_500_000,
			scaleResolutionDownBy: 1,
			maxFramerate: 30,
		} );
		expect( socket.sentOfType( 'quality' ).at( -1 ) ).toEqual( {
			type: 'quality',
			level: 'good',
		} );
	} );

	it( 'counts a bandwidth-limited sender only once warmed up, and then leaves the sender alone (fair)', async () => {
		vi.useFakeTimers();
		const { client } = await inRoom();
		const pc = pcs()[ 0 ]!;
		pc.setIce( 'connected' );
		pc.stats.set( 'OV', {
			id: 'OV',
			type: 'outbound-rtp',
			kind: 'video',
			qualityLimitationReason: 'bandwidth',
		} );
		pc.stats.set( 'CP', {
			id: 'CP',
			type: 'candidate-pair',
			selected: true,
			currentRoundTripTime: 0.02,
			availableOutgoingBitrate: 1_200_000,
		} );
		for ( let i = 0; i < 3; i++ ) {
			await client.sampleQuality();
		}
		expect( client.quality ).toBe( 'good' ); // ramping up: ignored
		vi.advanceTimersByTime( 10_000 );
		await client.sampleQuality();
		await client.sampleQuality();
		await flush();
		expect( client.quality ).toBe( 'fair' );
		const calls = pc.transceivers[ 1 ]!.sender.setParametersCalls;
		expect( calls ).toHaveLength( 1 );
		expect( calls[ 0 ] ).toMatchObject( { maxBitrate: 2_500_000 } );
	} );

	it( 'restarts ICE after 2 s disconnected (impolite side) and at once on failed', async () => {
		vi.useFakeTimers();
		await inRoom();
		const pc = pcs()[ 0 ]!; // ME < ZED: impolite
		pc.setIce( 'connected' );
		pc.setIce( 'disconnected' );
		vi.advanceTimersByTime( 1_900 );
		expect( pc.restarts ).toBe( 0 );
		vi.advanceTimersByTime( 200 );
		expect( pc.restarts ).toBe( 1 );
		pc.setIce( 'connected' );
		pc.setIce( 'failed' );
		vi.advanceTimersByTime( 0 );
		expect( pc.restarts ).toBe( 2 );
		// Back to connected: a short blip does nothing.
		pc.setIce( 'connected' );
		pc.setIce( 'disconnected' );
		pc.setIce( 'connected' );
		vi.advanceTimersByTime( 5_000 );
		expect( pc.restarts ).toBe( 2 );
	} );

	it( 'leaves: sends leave, closes everything, releases the camera', async () => {
		const { client, socket } = await inRoom();
		const camera = client.local.cameraTrack!;
		client.leave();
		expect( socket.sent.at( -1 ) ).toEqual( { type: 'leave' } );
		expect( socket.closedWith ).toBe( 1000 );
		expect( client.phase ).toBe( 'left' );
		expect( client.exitReason ).toBe( 'left' );
		expect( pcs()[ 0 ]?.closed ).toBe( true );
		expect(
			( camera as unknown as { readyState: string } ).readyState
		).toBe( 'ended' );
	} );

	it( 'ends when the server says so', async () => {
		const { client, socket } = await inRoom();
		socket.receive( { type: 'ended', reason: 'host_ended' } );
		expect( client.phase ).toBe( 'ended' );
		expect( client.exitReason ).toBe( 'host_ended' );
		socket.drop( ROOM_CLOSE.ended ); // already detached: no effect
		expect( FakeSocket.all ).toHaveLength( 1 );
	} );
} );

describe( 'RoomClient: refusals', () => {
	it( 'goes back to the password field on room_password_wrong, and retries with a fresh ticket', async () => {
		const { client, socket, getTicket } = await joined(
			{ room: { password_required: true } },
			'wrong'
		);
		socket.receive( {
			type: 'error',
			code: 'room_password_wrong',
			message: 'Wrong',
			fatal: true,
		} );
		expect( client.phase ).toBe( 'preflight' );
		expect( client.problem?.code ).toBe( 'room_password_wrong' );
		expect( client.local.cameraTrack ).not.toBeNull(); // preview keeps running
		client.join( 'right' );
		await flush();
		expect( getTicket ).toHaveBeenCalledTimes( 2 );
		const second = FakeSocket.last();
		expect( second.url ).toContain( 'token=tok2' );
		second.open();
		expect( second.sent[ 0 ] ).toEqual( {
			type: 'join',
			password: 'right',
			history: true,
		} );
	} );

	it( 'stops on room_denied with the code as the exit reason', async () => {
		const { client, socket } = await joined();
		socket.receive( {
			type: 'waiting',
			self: peer( ME, 'Me' ),
			host_present: true,
		} );
		socket.receive( {
			type: 'error',
			code: 'room_denied',
			message: 'Denied',
			fatal: true,
		} );
		socket.drop( ROOM_CLOSE.refused );
		expect( client.phase ).toBe( 'refused' );
		expect( client.problem ).toEqual( {
			code: 'room_denied',
			message: 'Denied',
		} );
		expect( client.exitReason ).toBe( 'room_denied' );
		expect( FakeSocket.all ).toHaveLength( 1 );
	} );

	it( 'shows a non-fatal error as a notice and stays', async () => {
		const { client, socket } = await joined();
		socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [],
			resumed: false,
		} );
		const notices: string[] = [];
		client.on( 'notice', ( p ) => notices.push( p.code ) );
		socket.receive( {
			type: 'error',
			code: 'rate_limited',
			message: 'Slow down',
			fatal: false,
		} );
		expect( notices ).toEqual( [ 'rate_limited' ] );
		expect( client.phase ).toBe( 'joined' );
	} );

	it( 'tries once more with a new ticket on room_token_invalid', async () => {
		const { client, socket, getTicket } = await joined();
		socket.receive( {
			type: 'error',
			code: 'room_token_invalid',
			message: 'Expired',
			fatal: true,
		} );
		await flush();
		expect( getTicket ).toHaveBeenCalledTimes( 2 );
		const second = FakeSocket.last();
		second.open();
		second.receive( {
			type: 'error',
			code: 'room_token_invalid',
			message: 'Expired',
			fatal: true,
		} );
		expect( client.phase ).toBe( 'refused' );
	} );

	it( 'does not reconnect after a replaced close even without an error message', async () => {
		const { client, socket } = await joined();
		socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [],
			resumed: false,
		} );
		socket.drop( ROOM_CLOSE.replaced );
		expect( client.phase ).toBe( 'refused' );
		expect( client.problem?.code ).toBe( 'room_replaced' );
	} );
} );

describe( 'RoomClient: reconnection', () => {
	async function inRoomWithTimers() {
		vi.useFakeTimers();
		const j = await joined();
		j.socket.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [ peer( ZED, 'Zed' ), peer( HOST, 'Host', 'host' ) ],
			resumed: false,
		} );
		await flush();
		return j;
	}

	it( 'reconnects after a drop with a fresh ticket, keeping the connections when resumed', async () => {
		const { client, socket, getTicket } = await inRoomWithTimers();
		const [ zedPc, hostPc ] = pcs();
		socket.drop( 1006 );
		expect( client.connection ).toBe( 'reconnecting' );
		expect( client.phase ).toBe( 'joined' );
		await vi.advanceTimersByTimeAsync( 499 );
		expect( FakeSocket.all ).toHaveLength( 1 );
		await vi.advanceTimersByTimeAsync( 2 );
		expect( getTicket ).toHaveBeenCalledTimes( 2 );
		const again = FakeSocket.last();
		expect( again.url ).toContain( 'token=tok2' );
		again.open();
		// This page has the chat and the board already.
		expect( again.sent[ 0 ] ).toEqual( { type: 'join', history: false } );
		again.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [ peer( ZED, 'Zed' ), peer( HOST, 'Host', 'host' ) ],
			resumed: true,
		} );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( client.connection ).toBe( 'open' );
		expect( pcs() ).toHaveLength( 2 );
		expect( zedPc?.closed ).toBe( false );
		expect( zedPc?.restarts ).toBe( 1 );
		expect( hostPc?.restarts ).toBe( 1 );
	} );

	it( 'starts over when the server did not keep the session', async () => {
		const { client, socket } = await inRoomWithTimers();
		const old = [ ...pcs() ];
		socket.drop( 1001 );
		await vi.advanceTimersByTimeAsync( 600 );
		const again = FakeSocket.last();
		again.open();
		again.receive( {
			type: 'welcome',
			self: peer( ME, 'Me' ),
			peers: [ peer( ZED, 'Zed' ) ],
			resumed: false,
		} );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( old.every( ( pc ) => pc.closed ) ).toBe( true );
		expect( pcs() ).toHaveLength( 3 );
		expect( client.peers.size ).toBe( 1 );
		expect( again.sentOfType( 'signal' )[ 0 ] ).toMatchObject( {
			to: ZED,
			description: { type: 'offer' },
		} );
	} );

	it( 'backs off 0.5, 1, 2, 4, 8… s, gives up after 15 tries, and Retry starts again', async () => {
		const { client, socket, getTicket } = await inRoomWithTimers();
		socket.drop( 1006 );
		const opened: number[] = [];
		let elapsed = 0;
		for ( let i = 0; i < 15; i++ ) {
			const before = FakeSocket.all.length;
			while ( FakeSocket.all.length === before ) {
				await vi.advanceTimersByTimeAsync( 100 );
				elapsed += 100;
			}
			opened.push( elapsed );
			FakeSocket.last().drop( 1006 );
		}
		expect( opened.slice( 0, 6 ) ).toEqual( [
			500, 1500, 3500, 7500, 15500, 23500,
		] );
		expect( client.connection ).toBe( 'lost' );
		expect( client.problem?.code ).toBe( 'connection_lost' );
		expect( client.phase ).toBe( 'joined' );
		const tickets = getTicket.mock.calls.length;
		client.retry();
		await vi.advanceTimersByTimeAsync( 0 );
		expect( getTicket.mock.calls.length ).toBe( tickets + 1 );
		expect( client.connection ).toBe( 'reconnecting' );
	} );

	it( 'keeps trying while REST fails, but stops when the meeting ended', async () => {
		const { client, socket, getTicket } = await inRoomWithTimers();
		getTicket.mockRejectedValueOnce( { code: 'fetch_error', message: '' } );
		socket.drop( 1006 );
		await vi.advanceTimersByTimeAsync( 600 );
		expect( client.connection ).toBe( 'reconnecting' );
		getTicket.mockRejectedValueOnce( {
			code: 'meeting_ended',
			message: 'Over',
			data: { status: 410 },
		} );
		await vi.advanceTimersByTimeAsync( 1_200 );
		expect( client.phase ).toBe( 'ended' );
		expect( client.exitReason ).toBe( 'meeting_ended' );
	} );
} );

// @vitest-environment jsdom
/**
 * The DOM UI against a RoomClient on fakes: what a person sees and can do on each screen, by role
 * and label, the way Testing Library would query it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { RoomClient } from '../src/client';
import { createTranslate } from '../src/i18n';
import { mountRoom } from '../src/index';
import { createRoomUi } from '../src/ui/app';
import {
	FakePeerConnection,
	FakeSocket,
	FakeStream,
	createPeerConnection,
	createStream,
	fakeDevices,
	flush,
	peer,
	reset,
	ticket,
} from './fakes';

const ME = 'p_mmmmmm';

beforeEach( () => {
	reset();
	document.body.innerHTML = '';
	Object.assign( globalThis, {
		RTCPeerConnection: FakePeerConnection,
		MediaStream: FakeStream,
		WebSocket: FakeSocket,
	} );
	Object.defineProperty( navigator, 'mediaDevices', {
		value: fakeDevices(),
		configurable: true,
	} );
	HTMLMediaElement.prototype.play = () => Promise.resolve();
} );
afterEach( () => {
	vi.useRealTimers();
} );

async function render(
	room: Parameters< typeof ticket >[ 0 ] = {},
	t?: ( s: string ) => string
) {
	const root = document.createElement( 'div' );
	document.body.append( root );
	const onExit = vi.fn();
	const client = new RoomClient( {
		getTicket: async () => ticket( room ),
		createSocket: ( url ) => new FakeSocket( url ),
		createPeerConnection,
		createStream,
		mediaDevices: navigator.mediaDevices,
	} );
	const ui = createRoomUi( root, client, {
		__: createTranslate( t ),
		locale: 'en-GB',
		onExit,
	} );
	await client.load();
	await flush( 20 );
	return { root, client, ui, onExit };
}

const byText = ( root: HTMLElement, selector: string, text: string ) =>
	[ ...root.querySelectorAll< HTMLElement >( selector ) ].find(
		( n ) => n.textContent?.trim() === text
	);
/**
 * By accessible name: aria-label, else the visible label (not the count badge).
 * @param root
 * @param name
 */
const buttonNamed = ( root: HTMLElement, name: string ) =>
	[ ...root.querySelectorAll< HTMLButtonElement >( 'button' ) ].find(
		( b ) =>
			( b.getAttribute( 'aria-label' ) ??
				(
					b.querySelector( '.bkx-room__label' ) ?? b
				).textContent?.trim() ) === name
	);
const visible = ( node: Element | null | undefined ) => {
	for ( let n = node as HTMLElement | null; n; n = n.parentElement ) {
		if ( n.hidden ) {
			return false;
		}
	}
	return !! node;
};

async function join( root: HTMLElement ) {
	buttonNamed( root, 'Join consultation' )!.click();
	await flush( 20 );
	const socket = FakeSocket.last();
	socket.open();
	return socket;
}

describe( 'preflight', () => {
	it( 'shows the room, the name, the checks and the Join button', async () => {
		const { root } = await render();
		expect( root.querySelector( 'h2' )?.textContent ).toBe(
			'Consultation with Dr. Rivera'
		);
		expect( root.textContent ).toContain(
			'You will join as Ana Customer.'
		);
		expect( root.textContent ).toContain( 'Browser: supported' );
		expect( root.textContent ).toMatch( /Server: reachable \(\d+ ms\)/ );
		expect( visible( buttonNamed( root, 'Join consultation' ) ) ).toBe(
			true
		);
		expect( visible( root.querySelector( 'input[type=password]' ) ) ).toBe(
			false
		);
		// Camera preview and pre-join toggles.
		expect( buttonNamed( root, 'Mute' ) ).toBeDefined();
		expect( buttonNamed( root, 'Stop video' ) ).toBeDefined();
		expect(
			root.querySelector( 'meter' )?.labels?.[ 0 ]?.textContent
		).toBe( 'Microphone level' );
	} );

	it( 'asks for the meeting password, and shows the error on a wrong one', async () => {
		const { root, client } = await render( { password_required: true } );
		const input = root.querySelector< HTMLInputElement >(
			'input[type=password]'
		)!;
		expect( visible( input ) ).toBe( true );
		expect( input.labels?.[ 0 ]?.textContent ).toBe( 'Meeting password' );
		buttonNamed( root, 'Join consultation' )!.click();
		await flush();
		expect( input.getAttribute( 'aria-invalid' ) ).toBe( 'true' );
		expect( FakeSocket.all ).toHaveLength( 0 );

		input.value = 'nope';
		const socket = await join( root );
		expect( socket.sent[ 0 ] ).toEqual( {
			type: 'join',
			password: 'nope',
			history: true,
		} );
		socket.receive( {
			type: 'error',
			code: 'room_password_wrong',
			message: 'x',
			fatal: true,
		} );
		expect( client.phase ).toBe( 'preflight' );
		const error = document.getElementById(
			input.getAttribute( 'aria-describedby' )!
		);
		expect( error?.textContent ).toBe(
			'The meeting password is not right. Please check your invitation.'
		);
		expect( input.getAttribute( 'aria-invalid' ) ).toBe( 'true' );
	} );

	it( 'says when the camera was refused and still lets the person join', async () => {
		Object.defineProperty( navigator, 'mediaDevices', {
			value: fakeDevices( { video: 'NotAllowedError' } ),
			configurable: true,
		} );
		const { root } = await render();
		expect( root.querySelector( '[role=alert]' )?.textContent ).toBe(
			'Please allow camera access to join the video consultation.'
		);
		expect(
			buttonNamed( root, 'Join consultation' )?.getAttribute(
				'aria-disabled'
			)
		).toBe( 'false' );
	} );

	it( 'passes every string through t()', async () => {
		const { root } = await render( {}, ( s ) => `«${ s }»` );
		expect( buttonNamed( root, '«Join consultation»' ) ).toBeDefined();
		expect( root.textContent ).toContain(
			'«You will join as %s.»'.replace( '%s', 'Ana Customer' )
		);
	} );
} );

describe( 'waiting room', () => {
	it( 'says whether the host is there, politely, with a Leave button', async () => {
		const { root, onExit } = await render();
		const socket = await join( root );
		socket.receive( {
			type: 'waiting',
			self: peer( ME, 'Ana' ),
			host_present: false,
		} );
		expect( root.querySelector( 'h2' )?.textContent ).toBe(
			'Waiting for the host to let you in'
		);
		const status = root.querySelector(
			'[aria-live=polite].bkx-room__status'
		);
		expect( status?.textContent ).toBe(
			'The host has not joined yet. Please stay on this page.'
		);
		socket.receive( {
			type: 'waiting',
			self: peer( ME, 'Ana' ),
			host_present: true,
		} );
		expect( status?.textContent ).toBe(
			'The host is here and will let you in shortly.'
		);
		socket.receive( {
			type: 'error',
			code: 'room_denied',
			message: 'x',
			fatal: true,
		} );
		expect( root.querySelector( 'h2' )?.textContent ).toBe(
			'The host did not let you in to this consultation.'
		);
		expect( onExit ).toHaveBeenCalledWith( 'room_denied' );
	} );
} );

describe( 'room', () => {
	async function inRoom(
		room: Parameters< typeof ticket >[ 0 ] = {},
		self = peer( ME, 'Ana' )
	) {
		const r = await render( room );
		const socket = await join( r.root );
		socket.receive( {
			type: 'welcome',
			self,
			peers: [
				peer( 'p_hhhhhh', 'Dr. Rivera', 'host' ),
				peer( 'p_zzzzzz', 'Zoe' ),
			],
			resumed: false,
		} );
		await flush( 20 );
		return { ...r, socket };
	}

	it( 'shows a tile per participant with name, microphone and quality, in a grid for the count', async () => {
		const { root, socket } = await inRoom();
		const tiles = root.querySelectorAll( '.bkx-room__tile' );
		expect( tiles ).toHaveLength( 3 );
		expect(
			[ ...tiles ].map(
				( t ) => t.querySelector( '.bkx-room__name' )?.textContent
			)
		).toEqual( [ 'Dr. Rivera (host)', 'Zoe', 'Ana (you)' ] );
		const stage = root.querySelector< HTMLElement >( '.bkx-room__stage' )!;
		expect( stage.dataset.layout ).toBe( 'grid' );
		expect( stage.style.getPropertyValue( '--bkx-cols' ) ).toBe( '2' );
		socket.receive( {
			type: 'media',
			peer: 'p_zzzzzz',
			audio: false,
			video: false,
			screen: false,
		} );
		socket.receive( {
			type: 'connection-quality-changed',
			peer: 'p_zzzzzz',
			level: 'poor',
		} );
		const zoe = root.querySelector( '[data-peer=p_zzzzzz]' )!;
		expect(
			visible( zoe.querySelector( '[aria-label="Microphone off"]' ) )
		).toBe( true );
		expect( zoe.hasAttribute( 'data-video-off' ) ).toBe( true );
		expect(
			zoe
				.querySelector( '.bkx-room__quality' )
				?.getAttribute( 'aria-label' )
		).toBe( 'Connection: poor' );
	} );

	it( 'has real buttons for every control, and hides what the room does not allow', async () => {
		const { root } = await inRoom( {
			chat_enabled: false,
			screen_share_enabled: false,
		} );
		for ( const name of [
			'Mute',
			'Stop video',
			'People',
			'Settings',
			'Leave',
		] ) {
			expect( visible( buttonNamed( root, name ) ) ).toBe( true );
		}
		expect( visible( buttonNamed( root, 'Share screen' ) ) ).toBe( false );
		expect( visible( buttonNamed( root, 'Chat' ) ) ).toBe( false );
		expect( visible( buttonNamed( root, 'End for everyone' ) ) ).toBe(
			false
		);
	} );

	it( 'mutes from the control bar and says so to the room', async () => {
		const { root, socket } = await inRoom();
		buttonNamed( root, 'Mute' )!.click();
		expect( buttonNamed( root, 'Unmute' ) ).toBeDefined();
		expect( socket.sentOfType( 'media' ).at( -1 ) ).toEqual( {
			type: 'media',
			audio: false,
			video: true,
			screen: false,
		} );
	} );

	it( 'chats: Enter sends, the counter counts, messages show sender and time', async () => {
		const { root, socket } = await inRoom();
		const toggle = buttonNamed( root, 'Chat' )!;
		toggle.click();
		expect( toggle.getAttribute( 'aria-expanded' ) ).toBe( 'true' );
		const panel = document.getElementById(
			toggle.getAttribute( 'aria-controls' )!
		)!;
		expect( visible( panel ) ).toBe( true );
		const input = panel.querySelector( 'textarea' )!;
		expect( document.activeElement ).toBe( input );
		expect( input.maxLength ).toBe( 2000 );
		input.value = 'Hello';
		input.dispatchEvent( new Event( 'input' ) );
		expect( panel.querySelector( '.bkx-room__counter' )?.textContent ).toBe(
			'5 / 2000 characters'
		);
		input.dispatchEvent(
			new KeyboardEvent( 'keydown', { key: 'Enter', bubbles: true } )
		);
		expect( socket.sent.at( -1 ) ).toEqual( {
			type: 'chat',
			text: 'Hello',
		} );
		expect( input.value ).toBe( '' );
		socket.receive( {
			type: 'chat',
			from: 'p_zzzzzz',
			name: 'Zoe',
			text: '<b>hi</b>',
			at: '2030-01-01T10:05:00Z',
		} );
		const log = panel.querySelector( '[role=log]' )!;
		const items = log.querySelectorAll( 'li' );
		expect( items ).toHaveLength( 2 );
		expect(
			items[ 0 ]?.querySelector( '.bkx-room__sender' )?.textContent
		).toBe( 'You' );
		expect(
			items[ 1 ]?.querySelector( '.bkx-room__text' )?.textContent
		).toBe( '<b>hi</b>' ); // text, not HTML
		expect(
			items[ 1 ]?.querySelector( 'time' )?.getAttribute( 'datetime' )
		).toBe( '2030-01-01T10:05:00Z' );
		// Escape closes the panel and returns to its button.
		panel.dispatchEvent(
			new KeyboardEvent( 'keydown', { key: 'Escape', bubbles: true } )
		);
		expect( visible( panel ) ).toBe( false );
		expect( document.activeElement ).toBe( toggle );
	} );

	it( 'lets the host admit from the people panel, with a count on its button', async () => {
		const { root, socket } = await inRoom(
			{ role: 'host' },
			peer( 'p_hhhhhh', 'Dr. Rivera', 'host' )
		);
		expect( visible( buttonNamed( root, 'End for everyone' ) ) ).toBe(
			true
		);
		// Ending everyone's consultation takes a second, confirming click.
		buttonNamed( root, 'End for everyone' )!.click();
		expect( socket.sentOfType( 'end' ) ).toHaveLength( 0 );
		buttonNamed( root, 'Confirm: end for everyone' )!.click();
		expect( socket.sentOfType( 'end' ) ).toHaveLength( 1 );
		expect( buttonNamed( root, 'End for everyone' ) ).toBeDefined();
		socket.receive( {
			type: 'lobby',
			waiting: [ { id: 'p_wwwwww', name: 'Walt' } ],
		} );
		const people = root.querySelector< HTMLButtonElement >(
			'[aria-controls^=bkx-room-people]'
		)!;
		expect( people.querySelector( '.bkx-room__count' )?.textContent ).toBe(
			'1'
		);
		people.click();
		buttonNamed( root, 'Admit Walt' )!.click();
		expect( socket.sent.at( -1 ) ).toEqual( {
			type: 'admit',
			peer: 'p_wwwwww',
		} );
		buttonNamed( root, 'Deny Walt' )!.click();
		expect( socket.sent.at( -1 ) ).toEqual( {
			type: 'deny',
			peer: 'p_wwwwww',
		} );
	} );

	it( 'shows the Recording badge and announces it', async () => {
		vi.useFakeTimers();
		const { root, socket } = await inRoom();
		const badge = byText( root, '.bkx-room__badge', 'Recording' )!;
		expect( visible( badge ) ).toBe( false );
		socket.receive( { type: 'recording-started', by: 'p_hhhhhh' } );
		expect( visible( badge ) ).toBe( true );
		vi.advanceTimersByTime( 100 );
		expect(
			root.querySelector( '.bkx-room__sr[aria-live=polite]' )?.textContent
		).toBe( 'Recording started.' );
	} );

	it( 'shows the timer against the booked length once someone else is there', async () => {
		const { root } = await inRoom();
		expect( root.querySelector( '[role=timer]' )?.textContent ).toBe(
			'00:00 / 30:00'
		);
	} );

	it( 'shows Reconnecting, then Connection lost with Retry', async () => {
		vi.useFakeTimers();
		const { root, socket } = await inRoom();
		socket.drop( 1006 );
		const banner =
			root.querySelector< HTMLElement >( '.bkx-room__banner' )!;
		expect( visible( banner ) ).toBe( true );
		expect( banner.textContent ).toContain( 'Reconnecting…' );
		for ( let i = 0; i < 15; i++ ) {
			const before = FakeSocket.all.length;
			while ( FakeSocket.all.length === before ) {
				await vi.advanceTimersByTimeAsync( 250 );
			}
			FakeSocket.last().drop( 1006 );
		}
		expect( banner.getAttribute( 'role' ) ).toBe( 'alert' );
		expect( banner.textContent ).toContain(
			'The connection to the consultation was lost.'
		);
		expect( visible( buttonNamed( root, 'Retry' ) ) ).toBe( true );
	} );

	it( 'ends for everyone with the reason and calls onExit', async () => {
		const { root, socket, onExit } = await inRoom();
		socket.receive( { type: 'ended', reason: 'host_ended' } );
		expect( root.querySelector( 'h2' )?.textContent ).toBe(
			'The consultation has ended.'
		);
		expect( root.textContent ).toContain(
			'The host ended the consultation.'
		);
		expect( onExit ).toHaveBeenCalledWith( 'host_ended' );
	} );

	it( 'leaves, with Rejoin back to the preflight', async () => {
		const { root, client, onExit } = await inRoom();
		buttonNamed( root, 'Leave' )!.click();
		expect( root.querySelector( 'h2' )?.textContent ).toBe(
			'You left the consultation.'
		);
		expect( onExit ).toHaveBeenCalledWith( 'left' );
		buttonNamed( root, 'Rejoin' )!.click();
		await flush( 20 );
		expect( client.phase ).toBe( 'preflight' );
	} );
} );

describe( 'mountRoom', () => {
	it( 'exposes the client on the element (not enumerable) and cleans up on destroy', async () => {
		const element = document.createElement( 'div' );
		document.body.append( element );
		const { client, destroy } = mountRoom( element, {
			getTicket: async () => ticket(),
		} );
		expect( ( element as unknown as { bkxRoom: unknown } ).bkxRoom ).toBe(
			client
		);
		expect( Object.keys( element ) ).not.toContain( 'bkxRoom' );
		expect( typeof client.peerConnections ).toBe( 'function' );
		await flush( 20 );
		expect( client.phase ).toBe( 'preflight' );
		expect( document.getElementById( 'bkx-room-styles' ) ).not.toBeNull();
		destroy();
		expect( 'bkxRoom' in element ).toBe( false );
		expect( element.childElementCount ).toBe( 0 );
	} );
} );

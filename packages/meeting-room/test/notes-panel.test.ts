// @vitest-environment jsdom
/**
 * The host's Notes panel and the chat's shared files, in jsdom: autosave after typing stops, on
 * blur and on pagehide (keepalive), the localStorage copy that survives a failed save or a reload,
 * "Not saved yet – retrying" then "Saved", both texts kept on a 409 conflict, no retry of a 413;
 * a `file-shared` message as a download in the chat, and an upload's progress, failure and Retry.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { SessionNotes } from '@bkx-video/contracts';

import type { RoomClient } from '../src/client';
import { RoomFileError, filesUrl, type RoomFilesApi } from '../src/files';
import { createTranslate } from '../src/i18n';
import { parseServerMessage } from '../src/protocol';
import type { UiContext } from '../src/ui/context';
import { fileItem, fileShareControls } from '../src/ui/file-share';
import { draftKey, notesPanel, type NotesSource } from '../src/ui/notes-panel';

const notes = ( text: string, version: number ): SessionNotes => ( {
	consultation_id: 42,
	notes: text,
	version,
	updated_at: version ? '2026-12-06T10:00:00.000Z' : null,
	is_shared_with_customer: false,
} );

function context(): UiContext {
	return {
		client: {} as RoomClient,
		__: createTranslate(),
		locale: 'en-US',
		announce: vi.fn(),
		applySink: () => undefined,
	};
}

/**
 * A server that keeps one text and its version, as the sidecar does.
 * @param start
 */
function server( start = notes( '', 0 ) ) {
	let stored = start;
	const state = { fail: 0, status: 503 };
	const source: NotesSource & {
		calls: Array< {
			notes: string;
			base_version: number;
			keepalive: boolean;
		} >;
	} = {
		calls: [],
		load: vi.fn( async () => stored ),
		save: vi.fn( async ( _id, body, { keepalive } ) => {
			source.calls.push( { ...body, keepalive } );
			if ( state.fail > 0 ) {
				state.fail--;
				throw Object.assign( new Error( 'down' ), {
					code:
						state.status === 413
							? 'payload_too_large'
							: 'sidecar_unavailable',
					status: state.status,
				} );
			}
			if (
				body.base_version !== stored.version &&
				body.notes !== stored.notes
			) {
				throw Object.assign( new Error( 'changed' ), {
					code: 'conflict',
					status: 409,
					data: { status: 409, current: stored },
				} );
			}
			stored = notes( body.notes, stored.version + 1 );
			return stored;
		} ),
	};
	return {
		source,
		state,
		stored: () => stored,
		setStored: ( n: SessionNotes ) => ( stored = n ),
	};
}

function mount( source: NotesSource ) {
	const panel = notesPanel( context(), source, 42, () => undefined );
	document.body.append( panel.root );
	const text = panel.root.querySelector( 'textarea' ) as HTMLTextAreaElement;
	const status = panel.root.querySelector( '[role=status]' ) as HTMLElement;
	const type = ( value: string ) => {
		text.value = value;
		text.dispatchEvent( new Event( 'input' ) );
	};
	return { panel, text, status, type };
}

beforeEach( () => {
	vi.useFakeTimers();
	document.body.innerHTML = '';
	localStorage.clear();
} );
afterEach( () => {
	vi.useRealTimers();
} );

describe( 'notes panel', () => {
	it( 'shows the saved text, saves 1 s after typing stops, and says so in a live region', async () => {
		const s = server( notes( 'Earlier', 3 ) );
		const { text, status, type, panel } = mount( s.source );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( text.value ).toBe( 'Earlier' );
		expect( text.disabled ).toBe( false );
		expect( status.getAttribute( 'aria-live' ) ).toBe( 'polite' );
		type( 'Earlier. BP fine.' );
		expect( status.textContent ).toBe( 'Not saved yet' );
		expect( JSON.parse( localStorage.getItem( draftKey( 42 ) )! ) ).toEqual(
			{ text: 'Earlier. BP fine.', base_version: 3 }
		);
		await vi.advanceTimersByTimeAsync( 900 );
		expect( s.source.calls ).toHaveLength( 0 );
		await vi.advanceTimersByTimeAsync( 100 );
		expect( s.source.calls ).toEqual( [
			{ notes: 'Earlier. BP fine.', base_version: 3, keepalive: false },
		] );
		expect( status.textContent ).toBe( 'Saved' );
		expect( localStorage.getItem( draftKey( 42 ) ) ).toBeNull();
		panel.destroy();
	} );

	it( 'saves at once on blur, and with keepalive when the page goes away', async () => {
		const s = server();
		const { text, type, panel } = mount( s.source );
		await vi.advanceTimersByTimeAsync( 0 );
		type( 'one' );
		text.dispatchEvent( new Event( 'blur' ) );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( s.source.calls.at( -1 ) ).toEqual( {
			notes: 'one',
			base_version: 0,
			keepalive: false,
		} );
		type( 'one two' );
		window.dispatchEvent( new Event( 'pagehide' ) );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( s.source.calls.at( -1 ) ).toEqual( {
			notes: 'one two',
			base_version: 1,
			keepalive: true,
		} );
		panel.destroy();
	} );

	it( 'keeps the text in localStorage while saves fail, retries, and a reload finds it', async () => {
		const s = server( notes( 'v1', 1 ) );
		s.state.fail = 2;
		const first = mount( s.source );
		await vi.advanceTimersByTimeAsync( 0 );
		first.type( 'v1 + typed offline' );
		await vi.advanceTimersByTimeAsync( 1000 );
		expect( first.status.textContent ).toBe( 'Not saved yet – retrying' );
		expect(
			JSON.parse( localStorage.getItem( draftKey( 42 ) )! ).text
		).toBe( 'v1 + typed offline' );
		// The page reloads before the retry: the new panel shows the unsaved text and saves it.
		first.panel.destroy();
		document.body.innerHTML = '';
		s.state.fail = 0;
		const second = mount( s.source );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( second.text.value ).toBe( 'v1 + typed offline' );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( s.stored().notes ).toBe( 'v1 + typed offline' );
		expect( second.status.textContent ).toBe( 'Saved' );
		expect( localStorage.getItem( draftKey( 42 ) ) ).toBeNull();
		second.panel.destroy();
	} );

	it( 'retries with backoff until the save goes through', async () => {
		const s = server();
		s.state.fail = 1;
		const { type, status, panel } = mount( s.source );
		await vi.advanceTimersByTimeAsync( 0 );
		type( 'x' );
		await vi.advanceTimersByTimeAsync( 1000 );
		expect( status.textContent ).toBe( 'Not saved yet – retrying' );
		await vi.advanceTimersByTimeAsync( 2000 );
		expect( status.textContent ).toBe( 'Saved' );
		expect( s.stored().notes ).toBe( 'x' );
		panel.destroy();
	} );

	it( 'shows both texts after a save from another tab, and keeps both when asked', async () => {
		const s = server( notes( 'base', 1 ) );
		const { type, text, panel } = mount( s.source );
		await vi.advanceTimersByTimeAsync( 0 );
		s.setStored( notes( 'base + other tab', 2 ) );
		type( 'base + this tab' );
		await vi.advanceTimersByTimeAsync( 1000 );
		const box = panel.root.querySelector(
			'.bkx-room__notes-conflict'
		) as HTMLElement;
		expect( box.hidden ).toBe( false );
		expect(
			( box.querySelector( 'textarea' ) as HTMLTextAreaElement ).value
		).toBe( 'base + other tab' );
		expect( text.value ).toBe( 'base + this tab' );
		expect(
			JSON.parse( localStorage.getItem( draftKey( 42 ) )! ).text
		).toBe( 'base + this tab' );
		(
			[ ...box.querySelectorAll( 'button' ) ].find(
				( b ) => b.textContent === 'Keep both'
			) as HTMLButtonElement
		 ).click();
		await vi.advanceTimersByTimeAsync( 0 );
		expect( s.stored() ).toMatchObject( {
			notes: 'base + this tab\n\nbase + other tab',
			version: 3,
		} );
		expect( box.hidden ).toBe( true );
		panel.destroy();
	} );

	it( 'does not retry a refusal for size; the text stays local', async () => {
		const s = server();
		s.state.fail = 1;
		s.state.status = 413;
		const { type, status, panel } = mount( s.source );
		await vi.advanceTimersByTimeAsync( 0 );
		type( 'long' );
		await vi.advanceTimersByTimeAsync( 60_000 );
		expect( s.source.calls ).toHaveLength( 1 );
		expect( status.textContent ).toBe( 'down' );
		expect(
			JSON.parse( localStorage.getItem( draftKey( 42 ) )! ).text
		).toBe( 'long' );
		panel.destroy();
	} );
} );

describe( 'files in the chat', () => {
	it( 'parses file-shared and derives the upload URL from the signaling URL', () => {
		const m = parseServerMessage(
			JSON.stringify( {
				type: 'file-shared',
				id: 7,
				name: 'x.png',
				size: 68,
				mime: 'image/png',
				from: 'p_aaaaaa',
				from_name: 'Cara',
				at: '2026-12-06T10:00:00.000Z',
			} )
		);
		expect( m ).toMatchObject( { type: 'file-shared', id: 7 } );
		expect(
			parseServerMessage(
				JSON.stringify( { type: 'file-shared', id: '7' } )
			)
		).toBeNull();
		expect(
			filesUrl( {
				signaling_url: 'wss://video.example/sidecar/rooms/r_abc/signal',
			} )
		).toBe( 'https://video.example/sidecar/rooms/r_abc/files' );
	} );

	it( 'offers a shared file as a download button with its size', async () => {
		const files: RoomFilesApi = {
			upload: vi.fn(),
			download: vi.fn( async () => undefined ),
		};
		const item = fileItem( context(), files, {
			id: 7,
			name: 'scan.png',
			size: 2048,
			mime: 'image/png',
		} );
		const download = item.querySelector( 'button' )!;
		expect( download.getAttribute( 'aria-label' ) ).toBe(
			'Download scan.png, 2 KB'
		);
		download.click();
		expect( files.download ).toHaveBeenCalledWith( 7 );
	} );

	it( "shows an upload's progress, its failure with Retry, and removes it once shared", async () => {
		let attempt = 0;
		const files: RoomFilesApi = {
			download: vi.fn(),
			upload: vi.fn( ( _file, onProgress ) => {
				attempt++;
				onProgress( 0.5 );
				return {
					done:
						attempt === 1
							? Promise.reject(
									new RoomFileError( 'fetch_error', '' )
								)
							: Promise.resolve( {
									id: 1,
									name: 'a.txt',
									size: 3,
									mime: 'text/plain' as const,
									created_at: '',
								} ),
					abort: () => undefined,
				};
			} ),
		};
		const ctx = context();
		const controls = fileShareControls( ctx, files );
		document.body.append( controls.root );
		const input = controls.root.querySelector(
			'input[type=file]'
		) as HTMLInputElement;
		Object.defineProperty( input, 'files', {
			value: [ new File( [ 'abc' ], 'a.txt', { type: 'text/plain' } ) ],
			configurable: true,
		} );
		input.dispatchEvent( new Event( 'change' ) );
		const row = controls.root.querySelector(
			'.bkx-room__upload'
		) as HTMLElement;
		expect(
			( row.querySelector( 'progress' ) as HTMLProgressElement ).value
		).toBe( 0.5 );
		await vi.advanceTimersByTimeAsync( 0 );
		expect( row.dataset.state ).toBe( 'failed' );
		expect( row.textContent ).toContain( 'check your connection' );
		(
			[ ...row.querySelectorAll( 'button' ) ].find(
				( b ) => b.textContent === 'Retry'
			) as HTMLButtonElement
		 ).click();
		await vi.advanceTimersByTimeAsync( 0 );
		expect( controls.root.querySelector( '.bkx-room__upload' ) ).toBeNull();
		expect( ctx.announce ).toHaveBeenCalledWith( 'a.txt shared.' );
	} );
} );

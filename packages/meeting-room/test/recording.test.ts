import { describe, expect, it } from 'vitest';

import { parseServerMessage } from '../src/protocol';
import { NO_RECORDING, nextRecording } from '../src/recording-state';
import {
	RecordingUploader,
	recordingsUrl,
	type FetchLike,
} from '../src/recording-upload';
import { tiles } from '../src/recorder';

const TAKE = 't_abcdefghijkl';

describe( 'recording state', () => {
	it( 'asks for consent, waits, records when everyone agreed, and forgets a stopped take', () => {
		const asked = nextRecording( NO_RECORDING, {
			type: 'recording-consent-requested',
			by: 'p_host01',
			take: TAKE,
		} );
		expect( asked ).toMatchObject( {
			recording: false,
			consentRequest: TAKE,
			take: { id: TAKE, state: 'pending' },
		} );
		const pending = nextRecording( asked, {
			type: 'recording-pending',
			by: 'p_host01',
			take: TAKE,
			waiting: [ 'p_cust01' ],
		} );
		expect( pending ).toMatchObject( {
			recording: false,
			consentRequest: TAKE,
			take: { waiting: [ 'p_cust01' ] },
		} );
		const on = nextRecording( pending, {
			type: 'recording-started',
			by: 'p_host01',
			take: TAKE,
		} );
		expect( on ).toEqual( {
			recording: true,
			consentRequest: null,
			take: { id: TAKE, by: 'p_host01', state: 'on', waiting: [] },
		} );
		expect(
			nextRecording( on, { type: 'recording-stopped', by: 'p_host01' } )
		).toEqual( NO_RECORDING );
	} );

	it( 'parses the new messages and drops malformed ones', () => {
		expect(
			parseServerMessage(
				JSON.stringify( {
					type: 'recording-consent-requested',
					by: 'p_a',
					take: TAKE,
				} )
			)
		).not.toBeNull();
		expect(
			parseServerMessage(
				JSON.stringify( {
					type: 'recording-pending',
					by: 'p_a',
					take: TAKE,
					waiting: [],
				} )
			)
		).not.toBeNull();
		expect(
			parseServerMessage(
				JSON.stringify( { type: 'recording-pending', by: 'p_a' } )
			)
		).toBeNull();
	} );

	it( 'lays one or two videos side by side and more in a grid', () => {
		expect( tiles( 2 ) ).toEqual( [
			{ x: 0, y: 0, w: 640, h: 720 },
			{ x: 640, y: 0, w: 640, h: 720 },
		] );
		expect( tiles( 3 ).map( ( t ) => [ t.x, t.y ] ) ).toEqual( [
			[ 0, 0 ],
			[ 640, 0 ],
			[ 0, 360 ],
		] );
	} );
} );

describe( 'recording upload', () => {
	it( 'uploads to the sidecar that holds the room', () => {
		expect(
			recordingsUrl( 'wss://clinic.example/bkx-video/rooms/r_x/signal' )
		).toBe( 'https://clinic.example/bkx-video/rooms/r_x/recordings' );
		expect( recordingsUrl( 'ws://127.0.0.1:8787/rooms/r_x/signal' ) ).toBe(
			'http://127.0.0.1:8787/rooms/r_x/recordings'
		);
	} );

	it( 'opens once consents are stored, sends chunks in order with their index, retries a failed one, then finishes', async () => {
		const calls: string[] = [];
		let openTries = 0;
		let failOnce = true;
		const fetch: FetchLike = async ( url, init ) => {
			calls.push(
				`${ init.method } ${ url.replace( 'http://s/rooms/r_x/recordings', '' ) || '/' } ${ init.headers.authorization }`
			);
			const reply = ( status: number, body: unknown = {} ) => ( {
				ok: status < 300,
				status,
				json: async () => body,
			} );
			if ( init.method === 'POST' && url.endsWith( '/recordings' ) ) {
				return ++openTries === 1
					? reply( 409 )
					: reply( 200, {
							recording_id: 7,
							upload_token: 'up',
							expires_at: '',
							chunk_max_bytes: 8e6,
							max_bytes: 1e9,
							max_seconds: 14400,
						} );
			}
			if ( url.endsWith( '/chunks/1' ) && failOnce ) {
				failOnce = false;
				return reply( 503 );
			}
			return reply( 200, {} );
		};
		const statuses: string[] = [];
		const up = new RecordingUploader( {
			signalingUrl: 'ws://s/rooms/r_x/signal',
			take: TAKE,
			mimeType: 'video/webm',
			roomToken: async () => 'room',
			fetch,
			sleep: async () => undefined,
			onStatus: ( s ) => statuses.push( s.state ),
		} );
		up.push( new Blob( [ 'a' ] ) );
		up.push( new Blob( [] ) );
		up.push( new Blob( [ 'bb' ] ) );
		up.push( new Blob( [ 'ccc' ] ) );
		const done = await up.finish();
		expect( done ).toMatchObject( {
			state: 'done',
			sent: 3,
			made: 3,
			bytes: 6,
			recordingId: 7,
		} );
		expect( calls ).toEqual( [
			'POST / Bearer room',
			'POST / Bearer room',
			'PUT /7/chunks/0 Bearer up',
			'PUT /7/chunks/1 Bearer up',
			'PUT /7/chunks/1 Bearer up',
			'PUT /7/chunks/2 Bearer up',
			'POST /7/finish Bearer up',
		] );
		expect( statuses.at( -1 ) ).toBe( 'done' );
	} );

	it( 'fails on a final refusal and stops at the size bound', async () => {
		let limited = 0;
		const fetch: FetchLike = async ( url ) =>
			url.endsWith( '/recordings' )
				? {
						ok: true,
						status: 200,
						json: async () => ( {
							recording_id: 1,
							upload_token: 'up',
							expires_at: '',
							chunk_max_bytes: 10,
							max_bytes: 100,
							max_seconds: 1,
						} ),
					}
				: { ok: false, status: 413, json: async () => ( {} ) };
		const up = new RecordingUploader( {
			signalingUrl: 'ws://s/rooms/r_x/signal',
			take: TAKE,
			mimeType: 'video/webm',
			roomToken: async () => 'room',
			fetch,
			sleep: async () => undefined,
			onLimit: () => limited++,
		} );
		up.push( new Blob( [ 'x' ] ) );
		expect( await up.finish() ).toMatchObject( {
			state: 'failed',
			error: 'http_413',
		} );
		expect( limited ).toBe( 1 );
	} );
} );

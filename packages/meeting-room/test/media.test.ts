import { describe, expect, it } from 'vitest';

import {
	CAPTURE_CONSTRAINTS,
	captureErrorCode,
	captureLocalMedia,
	captureScreen,
	constraintsFor,
} from '../src/media';
import { browserSupportProblem, levelOf } from '../src/preflight';
import { fakeDevices } from './fakes';

const error = ( name: string ) => Object.assign( new Error( name ), { name } );

describe( 'captureErrorCode', () => {
	it( 'maps a refused permission to the spec’s camera_denied / microphone_denied', () => {
		expect( captureErrorCode( error( 'NotAllowedError' ), 'video' ) ).toBe(
			'camera_denied'
		);
		expect( captureErrorCode( error( 'NotAllowedError' ), 'audio' ) ).toBe(
			'microphone_denied'
		);
		expect( captureErrorCode( error( 'SecurityError' ), 'video' ) ).toBe(
			'camera_denied'
		);
		expect(
			captureErrorCode( error( 'PermissionDeniedError' ), 'audio' )
		).toBe( 'microphone_denied' );
	} );

	it( 'maps a missing, busy or unsuitable device to *_unavailable', () => {
		for ( const name of [
			'NotFoundError',
			'NotReadableError',
			'OverconstrainedError',
			'AbortError',
		] ) {
			expect( captureErrorCode( error( name ), 'video' ) ).toBe(
				'camera_unavailable'
			);
			expect( captureErrorCode( error( name ), 'audio' ) ).toBe(
				'microphone_unavailable'
			);
		}
		expect( captureErrorCode( 'weird', 'video' ) ).toBe(
			'camera_unavailable'
		);
	} );

	it( 'maps a missing API (TypeError) to browser_unsupported', () => {
		expect( captureErrorCode( new TypeError( 'x' ), 'video' ) ).toBe(
			'browser_unsupported'
		);
	} );
} );

describe( 'capture constraints', () => {
	it( 'asks for 1080p30 with ideal values only, and clean audio', () => {
		expect( CAPTURE_CONSTRAINTS ).toEqual( {
			audio: {
				echoCancellation: true,
				noiseSuppression: true,
				autoGainControl: true,
			},
			video: {
				width: { ideal: 1920 },
				height: { ideal: 1080 },
				frameRate: { ideal: 30, max: 30 },
			},
		} );
		expect( JSON.stringify( CAPTURE_CONSTRAINTS ) ).not.toMatch(
			/exact|min/
		);
	} );

	it( 'pins only the chosen device', () => {
		expect( constraintsFor( 'video', 'cam2' ) ).toEqual( {
			...CAPTURE_CONSTRAINTS.video,
			deviceId: { exact: 'cam2' },
		} );
		expect( constraintsFor( 'audio' ) ).toEqual(
			CAPTURE_CONSTRAINTS.audio
		);
	} );
} );

describe( 'captureLocalMedia', () => {
	it( 'gets both in one prompt when allowed', async () => {
		const devices = fakeDevices();
		const r = await captureLocalMedia( devices );
		expect( r.problems ).toEqual( [] );
		expect( r.audio?.kind ).toBe( 'audio' );
		expect( r.video?.kind ).toBe( 'video' );
		expect( devices.calls ).toHaveLength( 1 );
	} );

	it( 'falls back to audio only when the camera is denied', async () => {
		const r = await captureLocalMedia(
			fakeDevices( { video: 'NotAllowedError' } )
		);
		expect( r.video ).toBeNull();
		expect( r.audio?.kind ).toBe( 'audio' );
		expect( r.problems ).toEqual( [ 'camera_denied' ] );
	} );

	it( 'falls back to video only when the microphone is missing', async () => {
		const r = await captureLocalMedia(
			fakeDevices( { audio: 'NotFoundError' } )
		);
		expect( r.video?.kind ).toBe( 'video' );
		expect( r.problems ).toEqual( [ 'microphone_unavailable' ] );
	} );

	it( 'reports both when both are refused', async () => {
		const r = await captureLocalMedia(
			fakeDevices( {
				audio: 'NotAllowedError',
				video: 'NotAllowedError',
			} )
		);
		expect( r ).toEqual( {
			audio: null,
			video: null,
			problems: [ 'camera_denied', 'microphone_denied' ],
		} );
	} );

	it( 'reports browser_unsupported without mediaDevices', async () => {
		expect( ( await captureLocalMedia( null ) ).problems ).toEqual( [
			'browser_unsupported',
		] );
	} );
} );

describe( 'captureScreen', () => {
	it( 'returns the screen track, null when the picker is cancelled, a code otherwise', async () => {
		expect(
			( ( await captureScreen( fakeDevices() ) ) as MediaStreamTrack )
				.kind
		).toBe( 'video' );
		expect(
			await captureScreen( fakeDevices( { screen: 'NotAllowedError' } ) )
		).toBeNull();
		expect(
			await captureScreen( fakeDevices( { screen: 'NotReadableError' } ) )
		).toBe( 'screen_share_failed' );
	} );
} );

describe( 'browserSupportProblem', () => {
	const ok = {
		isSecureContext: true,
		navigator: { mediaDevices: { getUserMedia: () => Promise.reject() } },
		RTCPeerConnection() {},
		WebSocket() {},
	};

	it( 'accepts a browser with getUserMedia, RTCPeerConnection and WebSocket', () => {
		expect( browserSupportProblem( ok ) ).toBeNull();
	} );

	it( 'names the missing piece', () => {
		expect(
			browserSupportProblem( { ...ok, RTCPeerConnection: undefined } )
		).toBe( 'browser_unsupported' );
		expect( browserSupportProblem( { ...ok, navigator: {} } ) ).toBe(
			'browser_unsupported'
		);
		expect(
			browserSupportProblem( { ...ok, isSecureContext: false } )
		).toBe( 'insecure_context' );
	} );
} );

describe( 'levelOf', () => {
	it( 'is 0 for silence and grows with loudness, capped at 1', () => {
		expect( levelOf( new Float32Array( 256 ) ) ).toBe( 0 );
		expect( levelOf( new Float32Array( 256 ).fill( 0.1 ) ) ).toBeCloseTo(
			0.4
		);
		expect( levelOf( new Float32Array( 256 ).fill( 0.9 ) ) ).toBe( 1 );
		expect( levelOf( [] ) ).toBe( 0 );
	} );
} );

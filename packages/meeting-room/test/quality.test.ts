import { describe, expect, it } from 'vitest';

import {
	INITIAL_QUALITY,
	judgedSample,
	nextQuality,
	rawLevel,
	readSample,
	sendProfile,
	worstLevel,
} from '../src/quality';
import type { QualitySample, QualityState } from '../src/quality';

const good: QualitySample = { rttMs: 40, lossPercent: 0, jitterMs: 5, fps: 30 };
const fair: QualitySample = {
	rttMs: 350,
	lossPercent: 1,
	jitterMs: 10,
	fps: 30,
};
const poor: QualitySample = {
	rttMs: 80,
	lossPercent: 15,
	jitterMs: 10,
	fps: 30,
};

function run(
	samples: QualitySample[],
	start: QualityState = INITIAL_QUALITY
) {
	const levels: string[] = [];
	let state = start;
	for ( const sample of samples ) {
		state = nextQuality( state, sample );
		levels.push( state.level );
	}
	return { levels, state };
}

describe( 'rawLevel', () => {
	it( 'judges each figure against the fair and poor thresholds', () => {
		expect( rawLevel( good, 'good' ) ).toBe( 'good' );
		expect( rawLevel( { rttMs: 301 }, 'good' ) ).toBe( 'fair' );
		expect( rawLevel( { rttMs: 601 }, 'good' ) ).toBe( 'poor' );
		expect( rawLevel( { lossPercent: 3.5 }, 'good' ) ).toBe( 'fair' );
		expect( rawLevel( { lossPercent: 12 }, 'good' ) ).toBe( 'poor' );
		expect( rawLevel( { jitterMs: 40 }, 'good' ) ).toBe( 'fair' );
		expect( rawLevel( { fps: 20 }, 'good' ) ).toBe( 'good' ); // Chromium's fake camera, many webcams in low light
		expect( rawLevel( { fps: 12 }, 'good' ) ).toBe( 'fair' );
		expect( rawLevel( { fps: 5 }, 'good' ) ).toBe( 'poor' );
	} );

	it( 'treats a bandwidth- or cpu-limited sender as fair at least', () => {
		expect( rawLevel( { ...good, limitation: 'bandwidth' }, 'good' ) ).toBe(
			'fair'
		);
		expect( rawLevel( { ...good, limitation: 'cpu' }, 'good' ) ).toBe(
			'fair'
		);
		expect( rawLevel( { ...good, limitation: 'none' }, 'good' ) ).toBe(
			'good'
		);
	} );

	it( 'ignores missing figures (nothing measured yet is good)', () => {
		expect( rawLevel( {}, 'poor' ) ).toBe( 'good' );
	} );

	it( 'needs a 20 % margin to leave a level (two-threshold hysteresis)', () => {
		// 550 ms: below the 600 ms poor threshold, but above 480 ms, the threshold to leave poor.
		expect( rawLevel( { rttMs: 550 }, 'good' ) ).toBe( 'fair' );
		expect( rawLevel( { rttMs: 550 }, 'poor' ) ).toBe( 'poor' );
		expect( rawLevel( { rttMs: 470 }, 'poor' ) ).toBe( 'fair' );
		// 270 ms: under the 300 ms fair threshold, but not under the 240 ms needed to leave fair.
		expect( rawLevel( { rttMs: 270 }, 'fair' ) ).toBe( 'fair' );
		expect( rawLevel( { rttMs: 230 }, 'fair' ) ).toBe( 'good' );
		// fps: 16 is fine from good, but fair needs 18 to leave.
		expect( rawLevel( { fps: 16 }, 'good' ) ).toBe( 'good' );
		expect( rawLevel( { fps: 16 }, 'fair' ) ).toBe( 'fair' );
		expect( rawLevel( { fps: 19 }, 'fair' ) ).toBe( 'good' );
	} );
} );

describe( 'nextQuality', () => {
	it( 'gets worse after two bad readings in a row, not one', () => {
		expect( run( [ poor ] ).levels ).toEqual( [ 'good' ] );
		expect( run( [ poor, poor ] ).levels ).toEqual( [ 'good', 'poor' ] );
		expect( run( [ poor, good, poor, good ] ).levels ).toEqual( [
			'good',
			'good',
			'good',
			'good',
		] );
	} );

	it( 'gets better only after three good readings in a row', () => {
		const start: QualityState = { level: 'poor', pending: null, count: 0 };
		expect( run( [ good, good ], start ).levels ).toEqual( [
			'poor',
			'poor',
		] );
		expect( run( [ good, good, good ], start ).levels ).toEqual( [
			'poor',
			'poor',
			'good',
		] );
		expect(
			run( [ good, good, poor, good, good, good ], start ).levels
		).toEqual( [ 'poor', 'poor', 'poor', 'poor', 'poor', 'good' ] );
	} );

	it( 'moves to the milder level when a run mixes fair and poor', () => {
		expect( run( [ poor, fair ] ).levels ).toEqual( [ 'good', 'fair' ] );
		expect( run( [ fair, poor ] ).levels ).toEqual( [ 'good', 'fair' ] );
		const start: QualityState = { level: 'poor', pending: null, count: 0 };
		expect( run( [ good, fair, good ], start ).state.level ).toBe( 'fair' );
	} );

	it( 'does not flap on a figure hovering around a threshold', () => {
		const around = [ 310, 290, 310, 290, 310, 290, 310, 290 ].map(
			( rttMs ) => ( { rttMs } )
		);
		const { levels } = run( around, {
			level: 'fair',
			pending: null,
			count: 0,
		} );
		expect( new Set( levels ) ).toEqual( new Set( [ 'fair' ] ) );
	} );
} );

describe( 'worstLevel', () => {
	it( 'is the worst of the connections, good for none', () => {
		expect( worstLevel( [] ) ).toBe( 'good' );
		expect( worstLevel( [ 'good', 'poor', 'fair' ] ) ).toBe( 'poor' );
	} );
} );

describe( 'readSample', () => {
	const report = ( extra: { lost: number; received: number } ) =>
		new Map< string, Record< string, unknown > >( [
			[
				'T1',
				{ id: 'T1', type: 'transport', selectedCandidatePairId: 'CP1' },
			],
			[
				'CP1',
				{
					id: 'CP1',
					type: 'candidate-pair',
					currentRoundTripTime: 0.12,
					localCandidateId: 'L1',
					availableOutgoingBitrate: 1_800_000,
				},
			],
			[
				'CP2',
				{
					id: 'CP2',
					type: 'candidate-pair',
					currentRoundTripTime: 0.9,
				},
			],
			[
				'L1',
				{ id: 'L1', type: 'local-candidate', candidateType: 'relay' },
			],
			[
				'IA',
				{
					id: 'IA',
					type: 'inbound-rtp',
					kind: 'audio',
					packetsLost: extra.lost,
					packetsReceived: extra.received,
					jitter: 0.004,
				},
			],
			[
				'IV',
				{
					id: 'IV',
					type: 'inbound-rtp',
					kind: 'video',
					packetsLost: 0,
					packetsReceived: 1000,
					jitter: 0.011,
					framesPerSecond: 24,
				},
			],
			[
				'OV',
				{
					id: 'OV',
					type: 'outbound-rtp',
					kind: 'video',
					qualityLimitationReason: 'bandwidth',
				},
			],
		] );

	it( 'reads the selected pair, jitter, fps and the limitation (Chrome names the pair on the transport)', () => {
		const { sample, counters } = readSample(
			report( { lost: 10, received: 990 } ),
			null,
			true
		);
		expect( sample.rttMs ).toBeCloseTo( 120 );
		expect( sample.candidateType ).toBe( 'relay' );
		expect( sample.jitterMs ).toBeCloseTo( 11 );
		expect( sample.fps ).toBe( 24 );
		expect( sample.limitation ).toBe( 'bandwidth' );
		expect( sample.availableBitrate ).toBe( 1_800_000 );
		expect( sample.lossPercent ).toBeUndefined(); // no previous reading
		expect( counters ).toEqual( {
			packetsLost: 10,
			packetsReceived: 1990,
		} );
	} );

	it( 'computes loss over the interval from the counters', () => {
		const first = readSample(
			report( { lost: 10, received: 990 } ),
			null,
			true
		);
		const second = readSample(
			report( { lost: 30, received: 1170 } ),
			first.counters,
			true
		);
		// 20 lost, 180 received in the interval (the video stream did not move).
		expect( second.sample.lossPercent ).toBeCloseTo( 10 );
	} );

	it( 'does not judge fps while the remote camera is off', () => {
		expect(
			readSample( report( { lost: 0, received: 1 } ), null, false ).sample
				.fps
		).toBeUndefined();
	} );

	it( 'finds Firefox’s pair by its selected flag', () => {
		const ff = new Map< string, Record< string, unknown > >( [
			[
				'a',
				{
					id: 'a',
					type: 'candidate-pair',
					selected: false,
					currentRoundTripTime: 1,
				},
			],
			[
				'b',
				{
					id: 'b',
					type: 'candidate-pair',
					selected: true,
					currentRoundTripTime: 0.05,
				},
			],
		] );
		expect( readSample( ff, null, true ).sample.rttMs ).toBeCloseTo( 50 );
	} );
} );

describe( 'judgedSample', () => {
	const limited = {
		rttMs: 20,
		limitation: 'bandwidth',
		availableBitrate: 1_000_000,
	};

	it( 'ignores the sender’s limitation while the connection warms up', () => {
		expect(
			judgedSample( limited, { capBps: 2_500_000, warmedUp: false } )
		).toEqual( { rttMs: 20, availableBitrate: 1_000_000 } );
	} );

	it( 'counts "bandwidth" only when the estimate is below our own cap', () => {
		expect(
			judgedSample( limited, { capBps: 2_500_000, warmedUp: true } )
		).toBe( limited );
		// 5 Mbps available under a 2.5 Mbps cap: the cap limits, not the network.
		const capped = { ...limited, availableBitrate: 5_000_000 };
		expect(
			judgedSample( capped, { capBps: 2_500_000, warmedUp: true } )
				.limitation
		).toBeUndefined();
		// Reduced profile (500 kbps) with 1 Mbps available: self-imposed too, so it can recover.
		expect(
			judgedSample( limited, { capBps: 500_000, warmedUp: true } )
				.limitation
		).toBeUndefined();
		expect(
			judgedSample(
				{ limitation: 'bandwidth' },
				{ capBps: 2_500_000, warmedUp: true }
			).limitation
		).toBeUndefined();
	} );

	it( 'always counts a cpu limitation once warmed up', () => {
		expect(
			judgedSample(
				{ limitation: 'cpu' },
				{ capBps: 2_500_000, warmedUp: true }
			).limitation
		).toBe( 'cpu' );
	} );
} );

describe( 'sendProfile', () => {
	it( 'sends 1080p at 2.5 Mbps when good, and halves resolution with a low bitrate when poor', () => {
		expect(
			sendProfile( 'good', { remotePeers: 1, screen: false } )
		).toEqual( {
			maxBitrate: 2_500_000,
			scaleResolutionDownBy: 1,
			maxFramerate: 30,
		} );
		expect(
			sendProfile( 'poor', { remotePeers: 1, screen: false } )
		).toEqual( {
			maxBitrate: 500_000,
			scaleResolutionDownBy: 2,
			maxFramerate: 15,
		} );
	} );

	it( 'keeps a shared screen sharp and drops its frame rate instead', () => {
		const p = sendProfile( 'poor', { remotePeers: 1, screen: true } );
		expect( p.scaleResolutionDownBy ).toBe( 1 );
		expect( p.maxFramerate ).toBe( 5 );
	} );

	it( 'splits the mesh upload between peers', () => {
		expect(
			sendProfile( 'good', { remotePeers: 2, screen: false } ).maxBitrate
		).toBe( 2_500_000 );
		expect(
			sendProfile( 'good', { remotePeers: 4, screen: false } ).maxBitrate
		).toBe( 1_500_000 );
		expect(
			sendProfile( 'poor', { remotePeers: 8, screen: false } ).maxBitrate
		).toBe( 250_000 );
	} );
} );

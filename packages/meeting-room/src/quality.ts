/**
 * Connection quality: figures read from `RTCPeerConnection.getStats()` every 2 s, a good / fair /
 * poor level with hysteresis (so the indicator and the sender settings do not flap), and the
 * sender settings for each level (adaptive bitrate and resolution, reference §7.2).
 */

/**
 * Internal dependencies
 */
import type { QualityLevel } from '@bkx-video/contracts';

/** One reading; a missing figure is simply not judged. */
export interface QualitySample {
	/** Round trip of the selected candidate pair. */
	rttMs?: number;
	/** Packets lost among those expected since the previous reading (audio and video). */
	lossPercent?: number;
	/** Largest inbound jitter. */
	jitterMs?: number;
	/** Inbound video frame rate (only when the remote camera is on). */
	fps?: number;
	/** Outbound video `qualityLimitationReason` (`none`, `bandwidth`, `cpu`, `other`). */
	limitation?: string;
	/** The selected pair's `availableOutgoingBitrate` (bandwidth estimate, bits/s; not judged). */
	availableBitrate?: number;
	/** `host`, `srflx`, `prflx` or `relay`: the local end of the selected pair (not judged). */
	candidateType?: string;
}

/**
 * The sender's `qualityLimitationReason` is ignored for this long after a connection comes up:
 * every call starts bandwidth-limited while the estimate ramps up.
 */
export const LIMITATION_WARMUP_MS = 10_000;

/** Cumulative counters kept between readings, to turn them into per-interval figures. */
export interface StatsCounters {
	packetsLost: number;
	packetsReceived: number;
}

/** Level in force plus the run of readings that point elsewhere. */
export interface QualityState {
	level: QualityLevel;
	/** Level the recent readings point to, or null when they agree with `level`. */
	pending: QualityLevel | null;
	/** Consecutive readings pointing to `pending`'s side. */
	count: number;
}

export const INITIAL_QUALITY: QualityState = {
	level: 'good',
	pending: null,
	count: 0,
};

/** A reading worse than these is fair / poor (fps: lower than). */
export const QUALITY_THRESHOLDS = {
	fair: { rttMs: 300, lossPercent: 3, jitterMs: 30, fps: 15 },
	poor: { rttMs: 600, lossPercent: 10, jitterMs: 80, fps: 8 },
} as const;

export const QUALITY_HYSTERESIS = {
	/** To leave a level, a figure must beat its threshold by this fraction (20 %). */
	margin: 0.2,
	/** Readings (2 s each) before the level gets worse, and before it gets better. */
	samplesToWorsen: 2,
	samplesToImprove: 3,
} as const;

const RANK: Record< QualityLevel, number > = { good: 0, fair: 1, poor: 2 };

/**
 * The level one reading points to, given the level in force: a figure needs a 20 % margin below a
 * threshold to leave the level that threshold set (two-threshold hysteresis).
 * @param sample  The reading.
 * @param current Level in force.
 */
export function rawLevel(
	sample: QualitySample,
	current: QualityLevel
): QualityLevel {
	const exceeds = ( level: 'fair' | 'poor' ): boolean => {
		const t = QUALITY_THRESHOLDS[ level ];
		// At or below this level already: the stricter leave-threshold applies.
		const holding = RANK[ current ] >= RANK[ level ];
		const high = holding ? 1 - QUALITY_HYSTERESIS.margin : 1;
		const low = holding ? 1 + QUALITY_HYSTERESIS.margin : 1;
		return (
			( sample.rttMs !== undefined && sample.rttMs > t.rttMs * high ) ||
			( sample.lossPercent !== undefined &&
				sample.lossPercent > t.lossPercent * high ) ||
			( sample.jitterMs !== undefined &&
				sample.jitterMs > t.jitterMs * high ) ||
			( sample.fps !== undefined && sample.fps < t.fps * low )
		);
	};
	if ( exceeds( 'poor' ) ) {
		return 'poor';
	}
	if (
		exceeds( 'fair' ) ||
		sample.limitation === 'bandwidth' ||
		sample.limitation === 'cpu'
	) {
		return 'fair';
	}
	return 'good';
}

/**
 * The state after one more reading: worse after 2 readings in a row point worse, better after 3
 * in a row point better; a run that mixes fair and poor moves to the milder of the two.
 * @param state  State before the reading.
 * @param sample The reading.
 */
export function nextQuality(
	state: QualityState,
	sample: QualitySample
): QualityState {
	const raw = rawLevel( sample, state.level );
	if ( raw === state.level ) {
		return { level: state.level, pending: null, count: 0 };
	}
	const worse = RANK[ raw ] > RANK[ state.level ];
	const sameSide =
		state.pending !== null &&
		RANK[ state.pending ] > RANK[ state.level ] === worse;
	let pending = raw;
	if ( sameSide && state.pending !== null ) {
		const milder = worse
			? Math.min( RANK[ raw ], RANK[ state.pending ] )
			: Math.max( RANK[ raw ], RANK[ state.pending ] );
		pending = milder === RANK[ raw ] ? raw : state.pending;
	}
	const count = sameSide ? state.count + 1 : 1;
	const needed = worse
		? QUALITY_HYSTERESIS.samplesToWorsen
		: QUALITY_HYSTERESIS.samplesToImprove;
	return count >= needed
		? { level: pending, pending: null, count: 0 }
		: { level: state.level, pending, count };
}

/**
 * The worst of several levels (one per peer connection); `good` for none.
 * @param levels Levels.
 */
export function worstLevel( levels: Iterable< QualityLevel > ): QualityLevel {
	let worst: QualityLevel = 'good';
	for ( const level of levels ) {
		if ( RANK[ level ] > RANK[ worst ] ) {
			worst = level;
		}
	}
	return worst;
}

type Stat = Record< string, unknown >;

/** What `getStats()` resolves to (an `RTCStatsReport`, or a Map in tests). */
export interface StatsLike {
	forEach: ( callback: ( stat: Stat ) => void ) => void;
}

const num = ( value: unknown ): number | undefined =>
	typeof value === 'number' && Number.isFinite( value ) ? value : undefined;

/**
 * One reading from a stats report (spec names: candidate-pair `currentRoundTripTime`, inbound-rtp
 * `packetsLost` / `packetsReceived` / `jitter` / `framesPerSecond`, outbound-rtp
 * `qualityLimitationReason`), with loss computed against the previous counters.
 * @param report        `await pc.getStats()`.
 * @param previous      Counters of the previous reading, or null for the first.
 * @param videoExpected Whether the remote camera or screen is on (otherwise fps is not judged).
 */
export function readSample(
	report: StatsLike,
	previous: StatsCounters | null,
	videoExpected: boolean
): { sample: QualitySample; counters: StatsCounters } {
	const byId = new Map< string, Stat >();
	const pairs: Stat[] = [];
	let selectedPairId: string | undefined;
	let lost = 0;
	let received = 0;
	let jitter: number | undefined;
	let fps: number | undefined;
	let limitation: string | undefined;
	report.forEach( ( stat ) => {
		byId.set( String( stat.id ), stat );
		switch ( stat.type ) {
			case 'transport':
				if ( typeof stat.selectedCandidatePairId === 'string' ) {
					selectedPairId = stat.selectedCandidatePairId;
				}
				break;
			case 'candidate-pair':
				pairs.push( stat );
				break;
			case 'inbound-rtp': {
				lost += num( stat.packetsLost ) ?? 0;
				received += num( stat.packetsReceived ) ?? 0;
				const j = num( stat.jitter );
				if ( j !== undefined ) {
					jitter = Math.max( jitter ?? 0, j );
				}
				if ( stat.kind === 'video' ) {
					const f = num( stat.framesPerSecond );
					if ( f !== undefined ) {
						fps = Math.max( fps ?? 0, f );
					}
				}
				break;
			}
			case 'outbound-rtp':
				if (
					stat.kind === 'video' &&
					typeof stat.qualityLimitationReason === 'string'
				) {
					limitation = stat.qualityLimitationReason;
				}
				break;
		}
	} );
	// Chrome names the pair on the transport; Firefox flags it `selected`.
	const pair =
		( selectedPairId ? byId.get( selectedPairId ) : undefined ) ??
		pairs.find( ( p ) => p.selected === true ) ??
		pairs.find( ( p ) => p.nominated === true && p.state === 'succeeded' );

	const sample: QualitySample = {};
	const rtt = num( pair?.currentRoundTripTime );
	if ( rtt !== undefined ) {
		sample.rttMs = rtt * 1000;
	}
	const available = num( pair?.availableOutgoingBitrate );
	if ( available !== undefined ) {
		sample.availableBitrate = available;
	}
	const local = pair
		? byId.get( String( pair.localCandidateId ) )
		: undefined;
	if ( typeof local?.candidateType === 'string' ) {
		sample.candidateType = local.candidateType;
	}
	if ( previous ) {
		const dLost = Math.max( 0, lost - previous.packetsLost );
		const dReceived = Math.max( 0, received - previous.packetsReceived );
		if ( dLost + dReceived > 0 ) {
			sample.lossPercent = ( dLost / ( dLost + dReceived ) ) * 100;
		}
	}
	if ( jitter !== undefined ) {
		sample.jitterMs = jitter * 1000;
	}
	if ( videoExpected && fps !== undefined ) {
		sample.fps = fps;
	}
	if ( limitation !== undefined ) {
		sample.limitation = limitation;
	}
	return {
		sample,
		counters: { packetsLost: lost, packetsReceived: received },
	};
}

/**
 * The reading as judged: the sender's limitation counts only once the connection has warmed up
 * (every call starts bandwidth-limited while the estimate ramps up), and "bandwidth" only when the
 * estimate is below our own bitrate cap; otherwise the cap, not the network, is what limits (a
 * 1080p camera under a 2.5 Mbps cap reports `bandwidth` for good).
 * @param sample           The reading.
 * @param options
 * @param options.capBps   The `maxBitrate` in force on the video sender.
 * @param options.warmedUp Connected for at least {@link LIMITATION_WARMUP_MS}.
 */
export function judgedSample(
	sample: QualitySample,
	{ capBps, warmedUp }: { capBps: number; warmedUp: boolean }
): QualitySample {
	const selfImposed =
		sample.limitation === 'bandwidth' &&
		( sample.availableBitrate === undefined ||
			sample.availableBitrate >= capBps * 0.9 );
	if ( sample.limitation === undefined || ( warmedUp && ! selfImposed ) ) {
		return sample;
	}
	const { limitation: _ignored, ...rest } = sample;
	return rest;
}

/** Settings of the outgoing video encoding (`RTCRtpEncodingParameters`). */
export interface SendProfile {
	/** Bits per second. */
	maxBitrate: number;
	scaleResolutionDownBy: number;
	maxFramerate: number;
}

/** 1080p30 camera. */
export const TOP_BITRATE = 2_500_000;
/** Upload the mesh may use in all: each peer gets its share, at most {@link TOP_BITRATE}. */
export const MESH_UPLINK_BUDGET = 6_000_000;
const FLOOR_BITRATE = 250_000;

/**
 * Encoding settings for one peer connection: full quality when good; on poor a low bitrate plus
 * half resolution (a shared screen keeps its resolution so text stays readable, and drops frame
 * rate instead). Fair changes nothing: the encoder already follows the bandwidth estimate, and a
 * cap of ours would make the sender report itself bandwidth-limited and never recover.
 * @param level               Quality of this connection (good or poor).
 * @param options
 * @param options.remotePeers Connections the camera is sent over (mesh: one per peer).
 * @param options.screen      The video sender carries a shared screen.
 */
export function sendProfile(
	level: 'good' | 'poor',
	{ remotePeers, screen }: { remotePeers: number; screen: boolean }
): SendProfile {
	const top = Math.max(
		FLOOR_BITRATE,
		Math.min(
			TOP_BITRATE,
			Math.floor( MESH_UPLINK_BUDGET / Math.max( 1, remotePeers ) )
		)
	);
	const fraction = ( f: number ) =>
		Math.max( FLOOR_BITRATE, Math.round( top * f ) );
	if ( level === 'good' ) {
		return { maxBitrate: top, scaleResolutionDownBy: 1, maxFramerate: 30 };
	}
	return screen
		? {
				maxBitrate: fraction( 0.4 ),
				scaleResolutionDownBy: 1,
				maxFramerate: 5,
			}
		: {
				maxBitrate: fraction( 0.2 ),
				scaleResolutionDownBy: 2,
				maxFramerate: 15,
			};
}

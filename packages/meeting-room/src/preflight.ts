/**
 * Checks before joining: is this browser able to, which devices are there, does the microphone
 * pick up sound, and can media get out (ICE candidates with the ticket's STUN/TURN servers).
 */

/**
 * Internal dependencies
 */
import type { RoomTicket } from '@bkx-video/contracts';
import type { MediaDevicesLike } from './media';

/** What the support check looks at (a `window` in the browser, a plain object in tests). */
export interface BrowserEnvironment {
	isSecureContext?: boolean;
	navigator?: { mediaDevices?: Partial< MediaDevicesLike > };
	RTCPeerConnection?: unknown;
	WebSocket?: unknown;
}

/**
 * Why this page cannot hold the room, or null when it can: `insecure_context` (camera and
 * microphone need https or localhost; `navigator.mediaDevices` is then missing), else
 * `browser_unsupported` (no getUserMedia, RTCPeerConnection or WebSocket).
 * @param env `window`.
 */
export function browserSupportProblem(
	env: BrowserEnvironment
): 'insecure_context' | 'browser_unsupported' | null {
	if ( env.isSecureContext === false ) {
		return 'insecure_context';
	}
	if (
		typeof env.navigator?.mediaDevices?.getUserMedia !== 'function' ||
		typeof env.RTCPeerConnection !== 'function' ||
		typeof env.WebSocket !== 'function'
	) {
		return 'browser_unsupported';
	}
	return null;
}

export interface DeviceLists {
	cameras: MediaDeviceInfo[];
	microphones: MediaDeviceInfo[];
	/** Empty where the browser cannot choose a speaker (no `setSinkId`). */
	speakers: MediaDeviceInfo[];
}

/**
 * Cameras, microphones and speakers (labels are empty until a permission was granted).
 * @param devices         `navigator.mediaDevices`.
 * @param canChooseOutput `'setSinkId' in HTMLMediaElement.prototype`.
 */
export async function listDevices(
	devices: MediaDevicesLike | null,
	canChooseOutput: boolean
): Promise< DeviceLists > {
	const all = devices?.enumerateDevices
		? await devices.enumerateDevices().catch( () => [] )
		: [];
	return {
		cameras: all.filter( ( d ) => d.kind === 'videoinput' && d.deviceId ),
		microphones: all.filter(
			( d ) => d.kind === 'audioinput' && d.deviceId
		),
		speakers: canChooseOutput
			? all.filter( ( d ) => d.kind === 'audiooutput' && d.deviceId )
			: [],
	};
}

/**
 * Loudness 0…1 of a block of time-domain samples (RMS, scaled so speech reaches about 0.5–1).
 * @param samples Samples in −1…1.
 */
export function levelOf( samples: ArrayLike< number > ): number {
	if ( samples.length === 0 ) {
		return 0;
	}
	let sum = 0;
	for ( let i = 0; i < samples.length; i++ ) {
		const s = samples[ i ] ?? 0;
		sum += s * s;
	}
	return Math.min( 1, Math.sqrt( sum / samples.length ) * 4 );
}

/**
 * A live microphone level (WebAudio AnalyserNode), reported ten times a second.
 * @param track   The microphone.
 * @param onLevel Called with 0…1.
 * @return Stop function (closes the AudioContext).
 */
export function startLevelMeter(
	track: MediaStreamTrack,
	onLevel: ( level: number ) => void
): () => void {
	const Context =
		globalThis.AudioContext ??
		(
			globalThis as unknown as {
				webkitAudioContext?: typeof AudioContext;
			}
		 ).webkitAudioContext;
	if ( ! Context ) {
		return () => undefined;
	}
	const context = new Context();
	const analyser = context.createAnalyser();
	analyser.fftSize = 1024;
	context
		.createMediaStreamSource( new MediaStream( [ track ] ) )
		.connect( analyser );
	const samples = new Float32Array( analyser.fftSize );
	// Started without a click on the page, the context may be suspended until one comes.
	void context.resume().catch( () => undefined );
	const timer = setInterval( () => {
		analyser.getFloatTimeDomainData( samples );
		onLevel( levelOf( samples ) );
	}, 100 );
	return () => {
		clearInterval( timer );
		void context.close().catch( () => undefined );
	};
}

/** The kinds of ICE candidates gathered: `relay` means TURN answered, `srflx` STUN. */
export interface NetworkPath {
	host: boolean;
	srflx: boolean;
	relay: boolean;
}

/**
 * Gathers ICE candidates with the ticket's servers and policy (no peer needed), to tell whether
 * media can get out: with `relay` policy a relay candidate is required.
 * @param ticket               The room ticket.
 * @param createPeerConnection Factory (the browser's by default).
 * @param timeoutMs            Give up gathering after this long.
 */
export async function probeNetworkPath(
	ticket: Pick< RoomTicket, 'ice_servers' | 'ice_transport_policy' >,
	createPeerConnection: ( config: RTCConfiguration ) => RTCPeerConnection = (
		config
	) => new RTCPeerConnection( config ),
	timeoutMs = 6_000
): Promise< NetworkPath > {
	const found: NetworkPath = { host: false, srflx: false, relay: false };
	const pc = createPeerConnection( {
		iceServers: ticket.ice_servers as RTCIceServer[],
		iceTransportPolicy: ticket.ice_transport_policy,
	} );
	try {
		pc.createDataChannel( 'probe' );
		await new Promise< void >( ( resolve ) => {
			const timer = setTimeout( resolve, timeoutMs );
			pc.onicecandidate = ( { candidate } ) => {
				const type =
					candidate?.type ??
					/\btyp (\w+)/.exec( candidate?.candidate ?? '' )?.[ 1 ];
				if ( type === 'host' || type === 'srflx' || type === 'relay' ) {
					found[ type ] = true;
				}
				if ( ! candidate ) {
					clearTimeout( timer );
					resolve();
				}
			};
			pc.createOffer()
				.then( ( offer ) => pc.setLocalDescription( offer ) )
				.catch( () => {
					clearTimeout( timer );
					resolve();
				} );
		} );
	} finally {
		pc.onicecandidate = null;
		pc.close();
	}
	return found;
}

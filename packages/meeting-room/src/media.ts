/**
 * Camera, microphone and screen capture (reference §7.1), with failures turned into the codes the
 * UI explains: the spec's `camera_denied` / `microphone_denied` / `browser_unsupported`, plus the
 * client-only `camera_unavailable` / `microphone_unavailable` (no device, or in use elsewhere).
 */

export type MediaKind = 'audio' | 'video';

export type MediaProblemCode =
	| 'camera_denied'
	| 'microphone_denied'
	| 'camera_unavailable'
	| 'microphone_unavailable'
	| 'browser_unsupported';

/** What capture needs from `navigator.mediaDevices` (a fake in tests). */
export type MediaDevicesLike = Pick< MediaDevices, 'getUserMedia' > &
	Partial< Pick< MediaDevices, 'getDisplayMedia' | 'enumerateDevices' > >;

/**
 * 1080p30 camera and cleaned-up voice. Only `ideal`/`max`, never `exact` or `min`, or a camera
 * that cannot do 1080p rejects with OverconstrainedError instead of giving its best.
 */
export const CAPTURE_CONSTRAINTS = {
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
} as const satisfies {
	audio: MediaTrackConstraints;
	video: MediaTrackConstraints;
};

/**
 * Constraints of one kind, on a chosen device when given. `exact` on the device id only: the
 * person picked that device, and silently getting another one would be wrong.
 * @param kind     Audio or video.
 * @param deviceId From `enumerateDevices()`, or undefined for the default.
 */
export function constraintsFor(
	kind: MediaKind,
	deviceId?: string
): MediaTrackConstraints {
	return deviceId
		? { ...CAPTURE_CONSTRAINTS[ kind ], deviceId: { exact: deviceId } }
		: { ...CAPTURE_CONSTRAINTS[ kind ] };
}

/**
 * The code for a `getUserMedia` failure of one kind.
 * NotAllowedError / SecurityError → denied; NotFoundError / OverconstrainedError / NotReadableError
 * / AbortError → unavailable; TypeError (no API) → browser_unsupported.
 * @param error What getUserMedia rejected with.
 * @param kind  The kind that was asked for.
 */
export function captureErrorCode(
	error: unknown,
	kind: MediaKind
): MediaProblemCode {
	const name =
		typeof error === 'object' && error !== null && 'name' in error
			? String( ( error as { name: unknown } ).name )
			: '';
	switch ( name ) {
		case 'NotAllowedError':
		case 'PermissionDeniedError': // Chrome before 64
		case 'SecurityError':
			return kind === 'video' ? 'camera_denied' : 'microphone_denied';
		case 'TypeError':
			return 'browser_unsupported';
		default:
			return kind === 'video'
				? 'camera_unavailable'
				: 'microphone_unavailable';
	}
}

export interface CaptureResult {
	audio: MediaStreamTrack | null;
	video: MediaStreamTrack | null;
	/** One code per kind that failed, camera first. */
	problems: MediaProblemCode[];
}

async function captureOne(
	devices: MediaDevicesLike,
	kind: MediaKind,
	deviceId?: string
): Promise< MediaStreamTrack > {
	const stream = await devices.getUserMedia( {
		[ kind ]: constraintsFor( kind, deviceId ),
	} );
	const [ track ] =
		kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
	if ( ! track ) {
		throw Object.assign( new Error( 'No track' ), {
			name: 'NotFoundError',
		} );
	}
	return track;
}

/**
 * Camera and microphone in one prompt; if that fails, each alone, so a denied or missing camera
 * still lets the person join with sound (and the other way round).
 * @param devices              `navigator.mediaDevices`, or null when missing.
 * @param choice
 * @param choice.audioDeviceId Microphone to use.
 * @param choice.videoDeviceId Camera to use.
 */
export async function captureLocalMedia(
	devices: MediaDevicesLike | null | undefined,
	choice: { audioDeviceId?: string; videoDeviceId?: string } = {}
): Promise< CaptureResult > {
	if ( ! devices || typeof devices.getUserMedia !== 'function' ) {
		return {
			audio: null,
			video: null,
			problems: [ 'browser_unsupported' ],
		};
	}
	try {
		const stream = await devices.getUserMedia( {
			audio: constraintsFor( 'audio', choice.audioDeviceId ),
			video: constraintsFor( 'video', choice.videoDeviceId ),
		} );
		const audio = stream.getAudioTracks()[ 0 ] ?? null;
		const video = stream.getVideoTracks()[ 0 ] ?? null;
		if ( audio && video ) {
			return { audio, video, problems: [] };
		}
		audio?.stop();
		video?.stop();
	} catch ( error ) {
		if ( captureErrorCode( error, 'video' ) === 'browser_unsupported' ) {
			return {
				audio: null,
				video: null,
				problems: [ 'browser_unsupported' ],
			};
		}
	}
	// One after the other: two prompts at once confuse people (and Firefox).
	const result: CaptureResult = { audio: null, video: null, problems: [] };
	try {
		result.video = await captureOne(
			devices,
			'video',
			choice.videoDeviceId
		);
	} catch ( error ) {
		result.problems.push( captureErrorCode( error, 'video' ) );
	}
	try {
		result.audio = await captureOne(
			devices,
			'audio',
			choice.audioDeviceId
		);
	} catch ( error ) {
		result.problems.push( captureErrorCode( error, 'audio' ) );
	}
	return result;
}

/**
 * One device of one kind (the device pickers).
 * @param devices  `navigator.mediaDevices`.
 * @param kind     Audio or video.
 * @param deviceId The chosen device.
 * @return The track, or the problem code.
 */
export async function captureDevice(
	devices: MediaDevicesLike,
	kind: MediaKind,
	deviceId: string
): Promise< MediaStreamTrack | MediaProblemCode > {
	try {
		return await captureOne( devices, kind, deviceId );
	} catch ( error ) {
		return captureErrorCode( error, kind );
	}
}

/**
 * Whether this browser can share a screen (most mobile browsers cannot).
 * @param devices
 */
export function canShareScreen(
	devices: MediaDevicesLike | null | undefined
): boolean {
	return typeof devices?.getDisplayMedia === 'function';
}

/**
 * Asks for a screen, window or tab. Must run in a click handler (user gesture).
 * @param devices `navigator.mediaDevices`.
 * @return The track; null when the person cancelled the picker; `screen_share_failed` otherwise.
 */
export async function captureScreen(
	devices: MediaDevicesLike
): Promise< MediaStreamTrack | null | 'screen_share_failed' > {
	if ( ! devices.getDisplayMedia ) {
		return 'screen_share_failed';
	}
	try {
		const stream = await devices.getDisplayMedia( {
			video: { frameRate: { ideal: 15, max: 30 } },
			audio: false,
		} );
		return stream.getVideoTracks()[ 0 ] ?? null;
	} catch ( error ) {
		const name = ( error as { name?: string } | null )?.name;
		return name === 'NotAllowedError' || name === 'AbortError'
			? null
			: 'screen_share_failed';
	}
}

/**
 * The person's own camera, microphone and screen: capture, device switches, mute, screen share,
 * and the preview stream. The client hears about each track swap (to put it on every peer
 * connection's sender) and each state change (to tell the room with `media`).
 */

/**
 * Internal dependencies
 */
import type { MediaDevicesLike, MediaKind } from './media';
import { captureDevice, captureLocalMedia, captureScreen } from './media';
import type { LocalMedia } from './types';

export interface LocalMediaOptions {
	devices: MediaDevicesLike | null;
	createStream: ( tracks: MediaStreamTrack[] ) => MediaStream;
	/** The track to send for a kind changed (video: camera or screen). */
	onSendTrack: ( kind: MediaKind, track: MediaStreamTrack | null ) => void;
	/** Anything in `state` changed. */
	onChange: () => void;
	/** A problem to show without stopping anything (device switch or screen share failed). */
	onNotice: ( code: string ) => void;
}

export class LocalMediaController {
	readonly state: LocalMedia = {
		stream: null,
		audioTrack: null,
		cameraTrack: null,
		screenTrack: null,
		audio: true,
		video: true,
		problems: [],
		audioInput: undefined,
		videoInput: undefined,
		audioOutput: undefined,
	};

	#o: LocalMediaOptions;
	#run = 0;
	#stopped = false;

	/**
	 * @param options Devices and callbacks.
	 */
	constructor( options: LocalMediaOptions ) {
		this.#o = options;
	}

	/** What `media` tells the room. */
	get wire(): { audio: boolean; video: boolean; screen: boolean } {
		const s = this.state;
		return {
			audio: s.audio && s.audioTrack !== null,
			video: s.video && s.cameraTrack !== null,
			screen: s.screenTrack !== null,
		};
	}

	/**
	 * The track a peer connection sends for a kind: the screen replaces the camera while shared.
	 * @param kind Audio or video.
	 */
	sendTrack( kind: MediaKind ): MediaStreamTrack | null {
		return kind === 'audio'
			? this.state.audioTrack
			: ( this.state.screenTrack ?? this.state.cameraTrack );
	}

	/**
	 * Starts (or restarts) camera and microphone with the chosen devices.
	 * @return Capture problem codes (empty when both work).
	 */
	async start(): Promise< string[] > {
		const run = ++this.#run;
		this.#stopped = false;
		this.#stopCapture();
		const result = await captureLocalMedia( this.#o.devices, {
			audioDeviceId: this.state.audioInput,
			videoDeviceId: this.state.videoInput,
		} );
		if ( run !== this.#run || this.#stopped ) {
			result.audio?.stop();
			result.video?.stop();
			return result.problems;
		}
		this.state.audioTrack = result.audio;
		this.state.cameraTrack = result.video;
		this.state.problems = result.problems;
		this.#adopt( 'audio', result.audio );
		this.#adopt( 'video', result.video );
		this.#changed();
		return result.problems;
	}

	/**
	 * Switches to another camera or microphone; on failure goes back to the previous one.
	 * @param kind     Audio or video.
	 * @param deviceId From `enumerateDevices()`.
	 * @return A problem code, or null on success.
	 */
	async switchDevice(
		kind: MediaKind,
		deviceId: string
	): Promise< string | null > {
		const { devices } = this.#o;
		if ( ! devices ) {
			return 'browser_unsupported';
		}
		const s = this.state;
		const previousId = kind === 'audio' ? s.audioInput : s.videoInput;
		// Phones cannot open two cameras at once: release the old one first.
		( kind === 'audio' ? s.audioTrack : s.cameraTrack )?.stop();
		let track = await captureDevice( devices, kind, deviceId );
		const problem = typeof track === 'string' ? track : null;
		if ( typeof track === 'string' && previousId ) {
			track = await captureDevice( devices, kind, previousId );
		}
		const next = typeof track === 'string' ? null : track;
		if ( kind === 'audio' ) {
			s.audioTrack = next;
		} else {
			s.cameraTrack = next;
		}
		this.#adopt( kind, next );
		this.#changed();
		if ( problem ) {
			this.#o.onNotice( problem );
		}
		return problem;
	}

	/**
	 * Chooses the speaker for remote audio (the UI applies it with `setSinkId`).
	 * @param deviceId An `audiooutput` device id.
	 */
	setAudioOutput( deviceId: string ): void {
		this.state.audioOutput = deviceId || undefined;
		this.#o.onChange();
	}

	/**
	 * Mutes or unmutes the microphone (`track.enabled`).
	 * @param on Microphone on.
	 */
	setAudioEnabled( on: boolean ): void {
		this.state.audio = on;
		if ( this.state.audioTrack ) {
			this.state.audioTrack.enabled = on;
		}
		this.#changed();
	}

	/**
	 * Turns the camera on or off (`track.enabled`).
	 * @param on Camera on.
	 */
	setVideoEnabled( on: boolean ): void {
		this.state.video = on;
		if ( this.state.cameraTrack ) {
			this.state.cameraTrack.enabled = on;
		}
		this.#changed();
	}

	/**
	 * Shares a screen in place of the camera. Call from a click (user gesture).
	 * @param stillWanted Checked after the picker closes (the room may have ended meanwhile).
	 * @return `screen_share_failed`, or null (shared, or the picker was cancelled).
	 */
	async startScreenShare(
		stillWanted: () => boolean
	): Promise< string | null > {
		const { devices } = this.#o;
		if ( this.state.screenTrack || ! devices ) {
			return null;
		}
		const track = await captureScreen( devices );
		if ( typeof track === 'string' ) {
			this.#o.onNotice( track );
			return track;
		}
		if ( ! track ) {
			return null;
		}
		if ( this.#stopped || ! stillWanted() ) {
			track.stop();
			return null;
		}
		try {
			// Text stays sharp; the encoder drops frames rather than resolution.
			track.contentHint = 'detail';
		} catch {
			// Not supported: fine.
		}
		// The browser's own "Stop sharing" bar ends the track: back to the camera.
		track.onended = () => this.stopScreenShare();
		this.state.screenTrack = track;
		this.#o.onSendTrack( 'video', track );
		this.#changed();
		return null;
	}

	/** Back from the screen to the camera. */
	stopScreenShare(): void {
		const track = this.state.screenTrack;
		if ( ! track ) {
			return;
		}
		track.onended = null;
		track.stop();
		this.state.screenTrack = null;
		this.#o.onSendTrack( 'video', this.state.cameraTrack );
		this.#changed();
	}

	/** Releases camera, microphone and screen (the camera light goes off). */
	stop(): void {
		this.#stopped = true;
		this.#stopCapture();
	}

	#stopCapture(): void {
		const s = this.state;
		for ( const track of [ s.audioTrack, s.cameraTrack, s.screenTrack ] ) {
			if ( track ) {
				track.onended = null;
				track.stop();
			}
		}
		s.audioTrack = s.cameraTrack = s.screenTrack = null;
		s.stream = null;
	}

	#adopt( kind: MediaKind, track: MediaStreamTrack | null ): void {
		const s = this.state;
		if ( track ) {
			track.enabled = kind === 'audio' ? s.audio : s.video;
			const deviceId = track.getSettings?.().deviceId;
			if ( deviceId && kind === 'audio' ) {
				s.audioInput = deviceId;
			} else if ( deviceId ) {
				s.videoInput = deviceId;
			}
		}
		// While sharing, the camera change waits: the screen stays on the sender.
		if ( kind === 'audio' || ! s.screenTrack ) {
			this.#o.onSendTrack( kind, track );
		}
	}

	#changed(): void {
		const s = this.state;
		const tracks = [ s.audioTrack, s.screenTrack ?? s.cameraTrack ].filter(
			( t ): t is MediaStreamTrack => t !== null
		);
		const current = s.stream?.getTracks() ?? [];
		const same =
			current.length === tracks.length &&
			tracks.every( ( t ) => current.includes( t ) );
		if ( ! same ) {
			s.stream = tracks.length ? this.#o.createStream( tracks ) : null;
		}
		this.#o.onChange();
	}
}

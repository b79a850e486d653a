/**
 * Records the room in the host's browser (BRIEF §6, reference §7.3): the videos side by side on a
 * canvas (25 fps) and every voice mixed in an AudioContext, into one MediaRecorder, 2-second
 * chunks handed to the uploader as they come. Pause and resume follow the room's consent state;
 * what is recorded is what this browser receives (remote streams) and sends (its own camera or
 * screen, and microphone).
 */

/** MediaRecorder types in order of preference (reference §7.3; Chromium takes VP8/Opus WebM). */
export const RECORDER_TYPES = [
	'video/webm;codecs=vp8,opus',
	'video/webm;codecs=vp9,opus',
	'video/webm;codecs=h264,opus',
	'video/mp4;codecs=avc1,mp4a.40.2',
	'video/mp4',
	'video/webm',
];

/** Chunk length: what a crash or a closed tab can lose at most. */
export const RECORDER_TIMESLICE_MS = 2_000;
const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 25;

/**
 * The first type this browser records, or null (no MediaRecorder: recording is not offered).
 * @param recorder The MediaRecorder class (a seam for tests).
 */
export function recorderType(
	recorder: { isTypeSupported?: ( type: string ) => boolean } | undefined = (
		globalThis as { MediaRecorder?: typeof MediaRecorder }
	 ).MediaRecorder
): string | null {
	if ( ! recorder?.isTypeSupported ) {
		return null;
	}
	return (
		RECORDER_TYPES.find( ( t ) => recorder.isTypeSupported!( t ) ) ?? null
	);
}

/**
 * Tiles for `count` videos on the canvas: one row up to 2, then a grid.
 * @param count Videos.
 */
export function tiles(
	count: number
): Array< { x: number; y: number; w: number; h: number } > {
	const n = Math.max( 1, count );
	const cols = n <= 2 ? n : Math.ceil( Math.sqrt( n ) );
	const rows = Math.ceil( n / cols );
	const w = WIDTH / cols;
	const h = HEIGHT / rows;
	return Array.from( { length: n }, ( _, i ) => ( {
		x: ( i % cols ) * w,
		y: Math.floor( i / cols ) * h,
		w,
		h,
	} ) );
}

export interface RoomRecorderOptions {
	/** The streams to record now: own first, then each remote peer's (null until it has media). */
	streams: () => Array< MediaStream | null >;
	mimeType: string;
	onChunk: ( blob: Blob ) => void;
	/** After `stop()`, once the last chunk was handed over. */
	onStopped: () => void;
	/** The recorder broke (e.g. a track ended oddly): the UI tells the host. */
	onError?: ( error: unknown ) => void;
}

export class RoomRecorder {
	#o: RoomRecorderOptions;
	#canvas: HTMLCanvasElement;
	#g: CanvasRenderingContext2D | null;
	#audio: AudioContext | null = null;
	#mix: MediaStreamAudioDestinationNode | null = null;
	#sources = new Map< MediaStream, MediaStreamAudioSourceNode >();
	#videos = new Map< MediaStream, HTMLVideoElement >();
	#recorder: MediaRecorder | null = null;
	#timer: ReturnType< typeof setInterval > | undefined;
	startedAt = 0;

	constructor( options: RoomRecorderOptions ) {
		this.#o = options;
		this.#canvas = document.createElement( 'canvas' );
		this.#canvas.width = WIDTH;
		this.#canvas.height = HEIGHT;
		this.#g = this.#canvas.getContext( '2d' );
	}

	get state(): RecordingState | 'inactive' {
		return this.#recorder?.state ?? 'inactive';
	}

	/** Starts recording (call once). */
	start(): void {
		const AudioCtx = globalThis.AudioContext;
		this.#audio = AudioCtx ? new AudioCtx() : null;
		void this.#audio?.resume().catch( () => undefined );
		this.#mix = this.#audio?.createMediaStreamDestination() ?? null;
		this.sync();
		this.#draw();
		// A timer, not requestAnimationFrame: the recording goes on in a background tab (at ≥1 fps).
		this.#timer = setInterval( () => this.#draw(), 1000 / FPS );
		const video = this.#canvas.captureStream( FPS ).getVideoTracks();
		const audio = this.#mix?.stream.getAudioTracks() ?? [];
		const recorder = new MediaRecorder(
			new MediaStream( [ ...video, ...audio ] ),
			{
				mimeType: this.#o.mimeType,
				videoBitsPerSecond: 1_500_000,
				audioBitsPerSecond: 96_000,
			}
		);
		recorder.ondataavailable = ( event ) => this.#o.onChunk( event.data );
		recorder.onstop = () => {
			this.#release();
			this.#o.onStopped();
		};
		recorder.onerror = ( event ) => this.#o.onError?.( event );
		this.#recorder = recorder;
		this.startedAt = Date.now();
		recorder.start( RECORDER_TIMESLICE_MS );
	}

	/** Someone has not consented: nothing is recorded until `resume()`. */
	pause(): void {
		if ( this.#recorder?.state === 'recording' ) {
			this.#recorder.pause();
		}
	}

	resume(): void {
		if ( this.#recorder?.state === 'paused' ) {
			this.#recorder.resume();
		}
	}

	/** Ends the recording: the last chunk, then `onStopped`. */
	stop(): void {
		if ( this.#recorder && this.#recorder.state !== 'inactive' ) {
			this.#recorder.stop();
		} else {
			this.#release();
		}
	}

	/** Follows who is in the room: new streams are drawn and mixed, gone ones dropped. */
	sync(): void {
		const streams = this.#o
			.streams()
			.filter( ( s ): s is MediaStream => !! s );
		for ( const [ stream, video ] of this.#videos ) {
			if ( ! streams.includes( stream ) ) {
				video.srcObject = null;
				this.#videos.delete( stream );
				this.#sources.get( stream )?.disconnect();
				this.#sources.delete( stream );
			}
		}
		for ( const stream of streams ) {
			if ( ! this.#videos.has( stream ) ) {
				const video = document.createElement( 'video' );
				video.muted = true;
				video.playsInline = true;
				video.srcObject = stream;
				void video.play?.()?.catch( () => undefined );
				this.#videos.set( stream, video );
			}
			if (
				! this.#sources.has( stream ) &&
				this.#audio &&
				this.#mix &&
				stream.getAudioTracks().length
			) {
				try {
					const source =
						this.#audio.createMediaStreamSource( stream );
					source.connect( this.#mix );
					this.#sources.set( stream, source );
				} catch {
					// A stream without a live audio track yet: mixed on the next sync.
				}
			}
		}
	}

	#draw(): void {
		const g = this.#g;
		if ( ! g ) {
			return;
		}
		g.fillStyle = '#111';
		g.fillRect( 0, 0, WIDTH, HEIGHT );
		const videos = [ ...this.#videos.values() ];
		const boxes = tiles( videos.length );
		videos.forEach( ( video, i ) => {
			const box = boxes[ i ]!;
			if ( video.videoWidth && video.videoHeight ) {
				// Fit, keeping the aspect ratio.
				const scale = Math.min(
					box.w / video.videoWidth,
					box.h / video.videoHeight
				);
				const w = video.videoWidth * scale;
				const h = video.videoHeight * scale;
				g.drawImage(
					video,
					box.x + ( box.w - w ) / 2,
					box.y + ( box.h - h ) / 2,
					w,
					h
				);
			}
		} );
	}

	#release(): void {
		clearInterval( this.#timer );
		this.#timer = undefined;
		for ( const video of this.#videos.values() ) {
			video.srcObject = null;
		}
		this.#videos.clear();
		this.#sources.forEach( ( s ) => s.disconnect() );
		this.#sources.clear();
		void this.#audio?.close().catch( () => undefined );
		this.#audio = null;
		this.#recorder?.stream.getTracks().forEach( ( t ) => t.stop() );
	}
}

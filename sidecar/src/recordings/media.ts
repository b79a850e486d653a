/**
 * ffmpeg and ffprobe for recordings: a file every browser plays (MP4, H.264/AAC, `moov` first so
 * playback starts before the download ends), its duration, a poster frame, and the watermark when
 * `watermark_enabled`. A file that already is H.264/AAC is only remuxed (no quality loss, a
 * fraction of the time); a watermark or any other codec means one re-encode.
 */
import { spawn } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';

export interface MediaTools {
	ffmpeg: string;
	ffprobe: string;
	/** Longest a single ffmpeg run may take before it is killed. */
	timeoutMs: number;
}

export interface ProbeResult {
	durationSeconds: number | null;
	video: { codec: string; width: number; height: number } | null;
	audio: { codec: string } | null;
}

/** ffmpeg could not read or write the media: the file is unusable, retrying will not help. */
export class MediaError extends Error {
	override name = 'MediaError';
}

function run( bin: string, args: string[], timeoutMs: number ): Promise< { stdout: string; stderr: string } > {
	return new Promise( ( resolve, reject ) => {
		const child = spawn( bin, args, { stdio: [ 'ignore', 'pipe', 'pipe' ] } );
		let stdout = '';
		let stderr = '';
		child.stdout.on( 'data', ( d: Buffer ) => {
			stdout += d.toString();
		} );
		child.stderr.on( 'data', ( d: Buffer ) => {
			// The tail is what explains a failure.
			stderr = ( stderr + d.toString() ).slice( -4000 );
		} );
		const timer = setTimeout( () => child.kill( 'SIGKILL' ), timeoutMs );
		child.on( 'error', ( error ) => {
			clearTimeout( timer );
			reject( new Error( `Could not run ${ bin }: ${ error.message }. Install ffmpeg or set BKX_VIDEO_FFMPEG_PATH / BKX_VIDEO_FFPROBE_PATH.` ) );
		} );
		child.on( 'close', ( code, signal ) => {
			clearTimeout( timer );
			if ( code === 0 ) {
				resolve( { stdout, stderr } );
			} else {
				const why = signal ? `was stopped (${ signal }) after ${ Math.round( timeoutMs / 1000 ) } s` : `exited with ${ code }`;
				reject( new MediaError( `${ bin } ${ why }: ${ stderr.trim().split( '\n' ).slice( -3 ).join( ' | ' ) }` ) );
			}
		} );
	} );
}

/**
 * Probes a recording as it came from the platform.
 *
 * @throws MediaError when it is not media ffprobe can read, or holds neither video nor audio.
 */
export async function probeSource( tools: MediaTools, file: string ): Promise< ProbeResult > {
	const source = await probe( tools, file ).catch( ( error: unknown ) => {
		throw new MediaError( `The recording file is not readable media: ${ error instanceof Error ? error.message : String( error ) }` );
	} );
	if ( ! source.video && ! source.audio ) {
		throw new MediaError( 'The recording file holds neither video nor audio.' );
	}
	return source;
}

export async function probe( tools: MediaTools, file: string ): Promise< ProbeResult > {
	const { stdout } = await run( tools.ffprobe, [ '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file ], tools.timeoutMs );
	const info = JSON.parse( stdout ) as {
		format?: { duration?: string };
		streams?: Array< { codec_type?: string; codec_name?: string; width?: number; height?: number; duration?: string } >;
	};
	const streams = info.streams ?? [];
	const video = streams.find( ( s ) => s.codec_type === 'video' );
	const audio = streams.find( ( s ) => s.codec_type === 'audio' );
	const duration = Number( info.format?.duration ?? video?.duration ?? audio?.duration );
	return {
		durationSeconds: Number.isFinite( duration ) ? duration : null,
		video: video ? { codec: String( video.codec_name ), width: Number( video.width ), height: Number( video.height ) } : null,
		audio: audio ? { codec: String( audio.codec_name ) } : null,
	};
}

export interface ProcessedMedia {
	/** What the output is: `video/mp4`, or `audio/mp4` for an audio-only recording. */
	mimeType: string;
	durationSeconds: number | null;
	hasVideo: boolean;
	/** Whether the streams were copied (true) or re-encoded. */
	remuxed: boolean;
	/** Whether the poster asked for was written by this run (re-encodes make it from the same frames). */
	posterMade: boolean;
}

/** Where the poster frame goes, at about one second in (or the middle of a shorter video). */
export function posterTime( durationSeconds: number | null ): number {
	return durationSeconds ? Math.min( 1, durationSeconds / 2 ) : 0;
}

const POSTER_SCALE = "scale='min(1280,iw)':-2";

/**
 * Writes `output` (MP4, faststart) from `input`. When the video is re-encoded and `poster` is
 * given, the poster is cut from the same decoded (and watermarked) frames in the same run: no
 * second ffmpeg, and the poster shows the watermark too. A remux leaves the poster to
 * {@link makePoster} (it decodes nothing).
 *
 * @param watermark text drawn in the lower right corner, or null.
 * @throws MediaError when the input is not usable media.
 */
export async function makeStreamable(
	tools: MediaTools,
	input: string,
	output: string,
	watermark: string | null,
	known?: ProbeResult,
	poster?: string
): Promise< ProcessedMedia > {
	const source = known ?? ( await probeSource( tools, input ) );
	const copyVideo = ! source.video || ( source.video.codec === 'h264' && ! watermark );
	const copyAudio = ! source.audio || source.audio.codec === 'aac';
	const args = [ '-y', '-v', 'error', '-i', input ];
	const audio = source.audio ? ( copyAudio ? [ '-c:a', 'copy' ] : [ '-c:a', 'aac', '-b:a', '128k' ] ) : [];
	let textFile: string | null = null;
	let posterMade = false;
	if ( source.video && ! copyVideo ) {
		const filters: string[] = [];
		if ( watermark ) {
			// From a file: no escaping of the viewer-supplied text in the filter graph.
			textFile = `${ output }.watermark.txt`;
			await writeFile( textFile, watermark, 'utf8' );
			filters.push( `drawtext=textfile=${ textFile }:fontcolor=white@0.6:fontsize=h/28:x=w-tw-h/40:y=h-th-h/40:box=1:boxcolor=black@0.25:boxborderw=6` );
		}
		const chain = filters.length ? filters.join( ',' ) : 'null';
		// The poster branch lets one frame through and ends (select + trim), so it costs one scale
		// and one JPEG, not a scaled copy of every frame.
		const at = posterTime( source.durationSeconds ).toFixed( 2 );
		const graph = poster ? `[0:v:0]${ chain },split=2[v][p];[p]select='gte(t\\,${ at })',trim=end_frame=1,${ POSTER_SCALE }[poster]` : `[0:v:0]${ chain }[v]`;
		args.push( '-filter_complex', graph, '-map', '[v]', '-map', '0:a:0?', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', ...audio );
	} else {
		args.push( '-map', '0:v:0?', '-map', '0:a:0?', ...( source.video ? [ '-c:v', 'copy' ] : [] ), ...audio );
	}
	args.push( '-movflags', '+faststart', '-f', 'mp4', output );
	if ( source.video && ! copyVideo && poster ) {
		// A second output: the frame the poster branch lets through.
		args.push( '-map', '[poster]', '-frames:v', '1', '-q:v', '4', '-f', 'image2', poster );
		posterMade = true;
	}
	try {
		await run( tools.ffmpeg, args, tools.timeoutMs );
	} finally {
		if ( textFile ) {
			await rm( textFile, { force: true } );
		}
	}
	const remuxed = copyVideo && copyAudio;
	// A remux keeps every frame: the source's duration is the output's (one ffprobe run saved).
	const durationSeconds = remuxed && source.durationSeconds !== null ? source.durationSeconds : ( await probe( tools, output ) ).durationSeconds;
	return { mimeType: source.video ? 'video/mp4' : 'audio/mp4', durationSeconds, hasVideo: !! source.video, remuxed, posterMade };
}

/** A JPEG poster from the video at about one second in (or its middle, when shorter), at most 1280 wide. */
export async function makePoster( tools: MediaTools, video: string, output: string, durationSeconds: number | null ): Promise< void > {
	const at = posterTime( durationSeconds );
	await run(
		tools.ffmpeg,
		// The key frame at or before that moment: no decoding up to it (platforms put key frames seconds apart).
		[ '-y', '-v', 'error', '-noaccurate_seek', '-ss', at.toFixed( 2 ), '-i', video, '-frames:v', '1', '-vf', POSTER_SCALE, '-q:v', '4', '-f', 'image2', output ],
		tools.timeoutMs
	);
}

/** The text of a WebVTT transcript's cues, one per line (for search); null when it is not WebVTT. */
export function vttText( vtt: string ): string | null {
	const text = vtt.replace( /^\uFEFF/, '' );
	if ( ! /^WEBVTT(?:[ \t].*)?(?:\r?\n|$)/.test( text ) ) {
		return null;
	}
	const lines: string[] = [];
	for ( const block of text.split( /\r?\n\r?\n/ ).slice( 1 ) ) {
		const rows = block.split( /\r?\n/ );
		const cue = rows.findIndex( ( r ) => r.includes( '-->' ) );
		if ( cue < 0 ) {
			continue;
		}
		const words = rows.slice( cue + 1 ).join( ' ' ).replace( /<[^>]*>/g, '' ).trim();
		if ( words ) {
			lines.push( words );
		}
	}
	return lines.join( '\n' );
}

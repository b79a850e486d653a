/**
 * `pnpm bench` (issue 5): recording processing overhead against ffmpeg alone on the same file.
 *
 * The pipeline's `recording.process` job runs as in production (claimed from `_jobs` on a fresh
 * MariaDB database, ffprobe, ffmpeg, poster frame, encryption into the store, row updated) and is
 * timed from the job's claim to its completion; the baseline is the one ffmpeg command that makes
 * the same file streamable, run by itself. Three cases, each measured BENCH_RECORDING_RUNS times
 * (default 3), alternating, medians compared (goal ≤ 1.2×):
 *  - remux, a consultation: a Zoom-like H.264/AAC MP4 with `moov` at the end, 30 minutes of 720p
 *    (BENCH_RECORDING_MINUTES; one minute encoded, then copied end to end with ffmpeg's concat) →
 *    faststart. Our pipeline moves `moov` itself while it encrypts (recordings/mp4.ts); ffmpeg alone
 *    runs `-c copy -movflags +faststart`.
 *  - remux, a 2-minute clip: the same; here ffmpeg's own start-up (about 0.15 s) is most of its time.
 *  - watermark: a 20 s clip re-encoded with the watermark (re-encoding is slow on 2 cores).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { toSqlDateTime } from '../src/db/time';
import { createRecordingStore, type RecordingStore } from '../src/recordings/store';
import { ADMIN, PREFIX, call, setup, type TestContext } from '../test/helper';

const RUNS = Number( process.env.BENCH_RECORDING_RUNS ?? 3 );
const MINUTES = Number( process.env.BENCH_RECORDING_MINUTES ?? 30 );
const dir = mkdtempSync( join( tmpdir(), 'bkx-bench-rec-' ) );

function makeSource( name: string, seconds: number ): string {
	const file = join( dir, name );
	const piece = Math.min( seconds, 60 );
	const one = seconds > piece ? join( dir, `piece-${ name }` ) : file;
	execFileSync( 'ffmpeg', [ '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=300', '-t', String( piece ), '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '1500k', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k', '-shortest', one ] );
	if ( one !== file ) {
		// A long recording without encoding it all: the one-minute piece end to end, streams copied.
		const list = join( dir, `list-${ name }.txt` );
		writeFileSync( list, Array.from( { length: Math.round( seconds / piece ) }, () => `file '${ one }'` ).join( '\n' ) );
		execFileSync( 'ffmpeg', [ '-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', file ] );
		rmSync( one );
	}
	return file;
}

const median = ( xs: number[] ) => [ ...xs ].sort( ( a, b ) => a - b )[ Math.floor( xs.length / 2 ) ]!;

function ffmpegAlone( source: string, watermark: boolean ): number {
	const out = join( dir, 'alone.mp4' );
	const args = [ '-y', '-v', 'error', '-i', source ];
	if ( watermark ) {
		const text = join( dir, 'mark.txt' );
		writeFileSync( text, 'bench.example · #1' );
		args.push( '-vf', `drawtext=textfile=${ text }:fontcolor=white@0.6:fontsize=h/28:x=w-tw-h/40:y=h-th-h/40:box=1:boxcolor=black@0.25:boxborderw=6`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-c:a', 'copy' );
	} else {
		args.push( '-c', 'copy' );
	}
	args.push( '-movflags', '+faststart', '-f', 'mp4', out );
	const t0 = performance.now();
	const r = spawnSync( 'ffmpeg', args );
	if ( r.status !== 0 ) {
		throw new Error( `ffmpeg failed: ${ r.stderr.toString() }` );
	}
	return performance.now() - t0;
}

let next = 1;
/** One `recording.process` job through the workers; returns the ms from claim to done. */
async function pipeline( ctx: TestContext, store: RecordingStore, consultationId: number, source: string ): Promise< number > {
	const knex = ctx.db.knex;
	// The test clock stands still: bring it to now, so the job is due.
	ctx.clock.set( new Date().toISOString() );
	const now = toSqlDateTime( ctx.clock.now() );
	const storageKey = `${ String( next ).padStart( 2, '0' ) }${ 'b'.repeat( 30 ) }`;
	const [ id ] = await knex( `${ PREFIX }bkx_video_recordings` ).insert( {
		consultation_id: consultationId,
		platform: 'zoom',
		platform_recording_id: `bench-${ next++ }`,
		platform_meeting_uuid: 'bench',
		file_type: 'MP4',
		source_size: statSync( source ).size,
		storage_key: storageKey,
		wrapped_key: store.newKey().wrapped,
		status: 'processing',
		created_at: now,
		updated_at: now,
	} );
	mkdirSync( join( ctx.config.dataDir, 'work' ), { recursive: true } );
	copyFileSync( source, join( ctx.config.dataDir, 'work', `recording-${ id }.source` ) );
	await knex( `${ PREFIX }bkx_video_jobs` ).insert( { kind: 'recording.process', payload: JSON.stringify( { recordingId: id } ), idempotency_key: `bench:${ id }`, status: 'queued', run_at: now, created_at: now, updated_at: now } );
	const t0 = performance.now();
	await ctx.app.workers.runDueJobs();
	const ms = performance.now() - t0;
	const row = await knex( `${ PREFIX }bkx_video_recordings` ).where( 'id', id ).first();
	if ( row.status !== 'available' ) {
		throw new Error( `the recording was not processed: ${ row.status } ${ row.error ?? '' }` );
	}
	// Keep the disk small between runs.
	await store.remove( storageKey );
	return ms;
}

async function main(): Promise< void > {
	const ctx = await setup( { clockStart: new Date().toISOString() } );
	try {
		const knex = ctx.db.knex;
		const now = toSqlDateTime( new Date() );
		const [ consultationId ] = await knex( `${ PREFIX }bkx_video_consultations` ).insert( {
			booking_id: 1,
			platform: 'zoom',
			meeting_id: 'bench',
			join_url: 'https://zoom.example.test/j/1',
			duration_minutes: 30,
			scheduled_start: now,
			scheduled_end: now,
			status: 'completed',
			host_id: 1,
			service_id: 1,
			seat_id: 1,
			created_at: now,
			updated_at: now,
		} );
		// The app's own store: same folder and encryption key.
		const store = createRecordingStore( join( ctx.config.dataDir, 'recordings' ), ctx.config.encryptionKey );
		const lines: string[] = [ `Recording processing benchmark: the recording.process job (MP4 check or ffprobe, faststart or ffmpeg, poster, encryption, row update) against ffmpeg alone, ${ RUNS } runs each, medians` ];
		const cases = [
			[ 'remux (H.264/AAC → faststart), a consultation', MINUTES * 60, false ],
			[ 'remux, a short clip', 120, false ],
			[ 'watermark (re-encode with drawtext)', 20, true ],
		] as const;
		for ( const [ label, seconds, watermark ] of cases ) {
			const source = makeSource( `${ watermark ? 'mark' : 'plain' }-${ seconds }.mp4`, seconds );
			await setWatermark( ctx, watermark );
			const ours: number[] = [];
			const alone: number[] = [];
			for ( let i = 0; i < RUNS; i++ ) {
				alone.push( ffmpegAlone( source, watermark ) );
				ours.push( await pipeline( ctx, store, Number( consultationId ), source ) );
			}
			const ratio = median( ours ) / median( alone );
			const mb = ( statSync( source ).size / 1e6 ).toFixed( 1 );
			lines.push(
				`  ${ label }, ${ seconds >= 120 ? `${ seconds / 60 } min` : `${ seconds } s` } of 720p (${ mb } MB): pipeline ${ median( ours ).toFixed( 0 ) } ms, ffmpeg alone ${ median( alone ).toFixed( 0 ) } ms: ratio ${ ratio.toFixed( 2 ) } (goal <= 1.20) ${ ratio <= 1.2 ? 'ok' : 'MISSED' }`
			);
			rmSync( source );
		}
		process.stdout.write( `${ lines.join( '\n' ) }\n` );
	} finally {
		await ctx.close();
		rmSync( dir, { recursive: true, force: true } );
	}
}

async function setWatermark( ctx: TestContext, on: boolean ): Promise< void > {
	ctx.clock.set( new Date().toISOString() );
	const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { watermark_enabled: on }, ctx.clock.now() );
	if ( res.status !== 200 ) {
		throw new Error( `settings refused: ${ JSON.stringify( res.json ) }` );
	}
}

await main();

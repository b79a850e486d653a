/**
 * A sidecar that dies in the middle of a recording download: another instance (the real
 * src/server.ts, as in production) takes the job over once the dead one's claim has lapsed,
 * resumes the download where it stopped (HTTP Range), and the consultation ends with exactly one
 * playable recording.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { signZoomWebhook, zoomRecordingEvent } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { PREFIX, SECRET, bookSlot, spawnSidecar, startZoomSite } from './helper';

const CREDS = { accountId: 'acct-crash', clientId: 'client-crash', clientSecret: 'secret-crash-0123456789' };
const WEBHOOK_SECRET = 'zoom-webhook-secret-token-crash';

let site: Awaited< ReturnType< typeof startZoomSite > >;
let fixtures: string;
const sidecars: Array< Awaited< ReturnType< typeof spawnSidecar > > > = [];

beforeAll( async () => {
	fixtures = mkdtempSync( join( tmpdir(), 'bkx-crash-' ) );
	site = await startZoomSite( { creds: CREDS, provider: 'Dr. Crash', settings: { zoom_webhook_secret: WEBHOOK_SECRET } } );
}, 60_000 );
afterAll( async () => {
	for ( const s of sidecars ) {
		await s.stop();
	}
	await site?.close();
	rmSync( fixtures, { recursive: true, force: true } );
} );

const sleep = ( ms: number ) => new Promise( ( r ) => setTimeout( r, ms ) );

async function until< T >( what: string, probe: () => Promise< T | null | undefined | false >, seconds: number ): Promise< T > {
	const deadline = Date.now() + seconds * 1000;
	while ( Date.now() < deadline ) {
		const value = await probe();
		if ( value ) {
			return value;
		}
		await sleep( 100 );
	}
	throw new Error( `timed out waiting for ${ what }; sidecar output:\n${ sidecars.map( ( s ) => s.output() ).join( '\n---\n' ) }` );
}

it( 'resumes a download after the sidecar doing it was killed, and makes one recording', async () => {
	// About 1 MB of H.264/AAC, served at 250 KB/s: the download takes about 4 s.
	const source = join( fixtures, 'long.mp4' );
	execFileSync( 'ffmpeg', [ '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '900k', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', source ] );
	const mp4 = readFileSync( source );
	const bookingId = await bookSlot( site.ctx.app, site.bx, site.ids, 'crash@example.test', 2, 9 );
	const consultation = await site.ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
	const recording = site.zoom.addRecording( String( consultation.meeting_id ), [ { fileType: 'MP4', data: mp4 } ] );
	site.zoom.setDownloadKnobs( { bytesPerSecond: 250_000 } );

	const env = {
		BKX_VIDEO_SIDECAR_SECRET: SECRET,
		BKX_VIDEO_ENCRYPTION_KEY: site.ctx.config.encryptionKey.toString( 'hex' ),
		BKX_VIDEO_SITE_URL: 'http://127.0.0.1:9',
		BKX_VIDEO_DB_NAME: site.ctx.config.db.database,
		BKX_VIDEO_MAIL_RELAY_URL: site.relay.wpUrl,
		BKX_VIDEO_ZOOM_API_URL: site.zoom.url,
		BKX_VIDEO_ZOOM_OAUTH_URL: site.zoom.oauthUrl,
		BKX_VIDEO_DATA_DIR: site.ctx.config.dataDir,
		// A dead instance's job is taken over 3 s after its last heartbeat.
		BKX_VIDEO_JOB_LEASE_SECONDS: '3',
		BKX_VIDEO_OUTBOX_POLL_SECONDS: '0.5',
		BKX_VIDEO_CACHE_TTL_SECONDS: '0',
	};
	const first = await spawnSidecar( env );
	sidecars.push( first );
	const { body, headers } = signZoomWebhook( WEBHOOK_SECRET, zoomRecordingEvent( recording ) );
	const res = await fetch( `${ first.base }/webhooks/zoom`, { method: 'POST', headers, body } );
	expect( res.status ).toBe( 200 );

	const row = await until( 'the recording row', async () => site.ctx.db.knex( `${ PREFIX }bkx_video_recordings` ).where( 'consultation_id', consultation.id ).first(), 20 );
	const part = join( site.ctx.config.dataDir, 'work', `recording-${ row.id }.source` );
	await until( 'a quarter of the file on disk', async () => existsSync( part ) && statSync( part ).size > mp4.length / 4, 30 );
	first.child.kill( 'SIGKILL' );
	await new Promise( ( r ) => first.child.once( 'exit', r ) );
	const kept = statSync( part ).size;
	expect( kept ).toBeLessThan( mp4.length );

	const second = await spawnSidecar( env );
	sidecars.push( second );
	const done = await until(
		'the recording to become available',
		async () => {
			const r = await site.ctx.db.knex( `${ PREFIX }bkx_video_recordings` ).where( 'id', row.id ).first();
			return r && ( r.status === 'available' || r.status === 'failed' ) ? r : null;
		},
		60
	);
	expect( done ).toMatchObject( { status: 'available', source_size: mp4.length, duration_seconds: 8 } );
	expect( await site.ctx.db.knex( `${ PREFIX }bkx_video_recordings` ).where( 'consultation_id', consultation.id ) ).toHaveLength( 1 );

	// The second instance asked only for what was missing.
	const downloads = site.zoom.requests.filter( ( r ) => r.path === `/rec/download/${ recording.files[ 0 ]!.id }` );
	expect( downloads ).toHaveLength( 2 );
	expect( downloads[ 0 ]!.headers.range ).toBeUndefined();
	const from = Number( /^bytes=(\d+)-$/.exec( String( downloads[ 1 ]!.headers.range ) )?.[ 1 ] );
	expect( from ).toBeGreaterThan( 0 );
	expect( from ).toBeLessThanOrEqual( kept );
	const job = await site.ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'idempotency_key', `recording.download:${ row.id }` ).first();
	expect( job.status ).toBe( 'done' );
	expect( readdirSync( join( site.ctx.config.dataDir, 'work' ) ) ).toEqual( [] );

	// What the second instance serves is the whole recording: same streams and duration as recorded.
	const link = site.ctx.app.services.mediaLinks.url( { recordingId: row.id, kind: 'video', download: false, exp: Math.floor( Date.now() / 1000 ) + 60 } );
	const served = await fetch( `${ second.base }${ new URL( link ).pathname }${ new URL( link ).search }` );
	expect( served.status ).toBe( 200 );
	const played = join( fixtures, 'played.mp4' );
	writeFileSync( played, Buffer.from( await served.arrayBuffer() ) );
	const probe = ( f: string ) => JSON.parse( execFileSync( 'ffprobe', [ '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', f ] ).toString() ) as { format: { duration: string }; streams: Array< { codec_name: string; nb_frames?: string } > };
	const [ a, b ] = [ probe( source ), probe( played ) ];
	expect( b.streams.map( ( s ) => s.codec_name ) ).toEqual( a.streams.map( ( s ) => s.codec_name ) );
	expect( b.streams.map( ( s ) => s.nb_frames ) ).toEqual( a.streams.map( ( s ) => s.nb_frames ) );
}, 150_000 );

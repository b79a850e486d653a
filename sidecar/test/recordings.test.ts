/**
 * The recordings pipeline as Zoom drives it: a signed `recording.completed` (and
 * `recording.transcript_completed`) from the Zoom fake → the file downloaded with the webhook's
 * token (resuming after a dropped connection, falling back to a fresh token from the API when it
 * expired) → made streamable by ffmpeg (faststart, poster, watermark) → encrypted at rest → played
 * through a signed link with HTTP Range → removed by retention or a deletion request. Who may see
 * what: the host, admins and the booking's customer; another customer may not.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { signZoomWebhook, zoomRecordingEvent, type ZoomFakeRecording, type ZoomWebhookEnvelope } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { deriveAccessToken } from '../src/crypto';
import { ADMIN, PREFIX, SECRET, bookSlot, call, startZoomSite } from './helper';

type Site = Awaited< ReturnType< typeof startZoomSite > >;

const CREDS = { accountId: 'acct-rec', clientId: 'client-rec', clientSecret: 'secret-rec-0123456789' };
const WEBHOOK_SECRET = 'zoom-webhook-secret-token-rec';
const CUSTOMER = ( email: string, sub = 0 ) => ( { sub, caps: [ 'read' ], roles: [ 'subscriber' ], email } );
const HOST = ( sub: number ) => ( { sub, caps: [ 'read', 'bkx_video_conduct' ], roles: [ 'bkx_provider' ], email: 'provider@example.test' } );

let site: Site;
let fixtures: string;
let mp4: Buffer;
let slot = 8;
const VTT = 'WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\nDr. Reel: Good morning, how is the knee today?\n\n2\n00:00:01.500 --> 00:00:03.000\n<v Customer>Much better since the physiotherapy.\n';

beforeAll( async () => {
	fixtures = mkdtempSync( join( tmpdir(), 'bkx-rec-fixtures-' ) );
	// H.264/AAC with `moov` at the end (ffmpeg's default): the pipeline must move it to the front.
	execFileSync( 'ffmpeg', [ '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', join( fixtures, 'meeting.mp4' ) ] );
	mp4 = readFileSync( join( fixtures, 'meeting.mp4' ) );
	site = await startZoomSite( { creds: CREDS, provider: 'Dr. Reel', settings: { zoom_webhook_secret: WEBHOOK_SECRET } } );
}, 60_000 );
afterAll( async () => {
	await site?.close();
	rmSync( fixtures, { recursive: true, force: true } );
} );

// The site's clock stands still between steps; identities are signed with the real time, so the
// clock is brought to now before each call (tests that move it into the future make no calls then).
beforeEach( () => site.ctx.clock.set( new Date().toISOString() ) );
const api = ( ...args: Parameters< typeof call > extends [ unknown, ...infer Rest ] ? Rest : never ) => {
	site.ctx.clock.set( new Date().toISOString() );
	const [ who, method, path, body ] = args;
	return call( site.ctx.app, who, method, path, body, site.ctx.clock.now() );
};

const recordingsTable = () => site.ctx.db.knex( `${ PREFIX }bkx_video_recordings` );

async function deliver( envelope: ZoomWebhookEnvelope ) {
	const { body, headers } = signZoomWebhook( WEBHOOK_SECRET, envelope );
	const res = await site.ctx.app.inject( { method: 'POST', url: '/webhooks/zoom', headers, payload: body } );
	expect( res.statusCode ).toBe( 200 );
}

/** Runs due jobs until `done` holds (bounded: 100 rounds). */
async function settle( done: () => Promise< boolean > ): Promise< void > {
	for ( let i = 0; i < 100; i++ ) {
		await site.ctx.app.workers.runDueJobs();
		if ( await done() ) {
			return;
		}
		await new Promise( ( r ) => setTimeout( r, 30 ) );
	}
	throw new Error( `not settled; recordings: ${ JSON.stringify( await recordingsTable().select( 'id', 'status', 'error' ) ) }` );
}

/** A booked consultation of `email` with its Zoom meeting and a finished cloud recording of it. */
async function recorded( email: string, files: Array< { fileType: 'MP4' | 'TRANSCRIPT' | 'M4A'; data: Buffer } > = [ { fileType: 'MP4', data: mp4 } ] ) {
	const bookingId = await bookSlot( site.ctx.app, site.bx, site.ids, email, 2, slot++ );
	const row = await site.ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
	const recording: ZoomFakeRecording = site.zoom.addRecording( String( row.meeting_id ), files );
	return { consultationId: Number( row.id ), meetingId: String( row.meeting_id ), recording };
}

const available = ( consultationId: number ) => async () => {
	const rows = await recordingsTable().where( 'consultation_id', consultationId );
	return rows.length > 0 && rows.every( ( r ) => r.status === 'available' || r.status === 'failed' );
};

/** Fetches a signed media link through the app (the sidecar serves it). */
async function media( url: string, headers: Record< string, string > = {} ) {
	const u = new URL( url );
	const res = await site.ctx.app.inject( { method: 'GET', url: `${ u.pathname }${ u.search }`, headers } );
	return { status: res.statusCode, headers: res.headers, body: res.rawPayload, json: () => res.json() as Record< string, unknown > };
}

describe( 'before a recorded consultation', () => {
	it( 'tells the customer in the invitation that Zoom will record it, and not when recording is off', async () => {
		const mailsTo = ( email: string ) => site.relay.mails.filter( ( m ) => ( m.to as string[] ).includes( email ) );
		await bookSlot( site.ctx.app, site.bx, site.ids, 'told@example.test', 2, slot++ );
		const told = mailsTo( 'told@example.test' );
		expect( told ).toHaveLength( 1 );
		expect( String( told[ 0 ]!.text ) ).toContain( 'This consultation will be recorded. The recording is kept privately for 30 days' );
		expect( String( told[ 0 ]!.html ) ).toContain( 'will be recorded' );
		expect( ( await api( ADMIN, 'PUT', '/v1/settings', { zoom_recording: 'none' } ) ).status ).toBe( 200 );
		await bookSlot( site.ctx.app, site.bx, site.ids, 'untold@example.test', 2, slot++ );
		expect( String( mailsTo( 'untold@example.test' )[ 0 ]!.text ) ).not.toContain( 'recorded' );
		expect( ( await api( ADMIN, 'PUT', '/v1/settings', { zoom_recording: 'cloud' } ) ).status ).toBe( 200 );
	} );

	it( 'refuses a recording event without a recording object with 400 and stores nothing', async () => {
		const jobs = async () => Number( ( await site.ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).count( { n: '*' } ).first() )!.n );
		const before = await jobs();
		const { body, headers } = signZoomWebhook( WEBHOOK_SECRET, { event: 'recording.completed', event_ts: Date.now(), payload: { account_id: 'a', object: { id: 123, topic: 'no files' } } } );
		const res = await site.ctx.app.inject( { method: 'POST', url: '/webhooks/zoom', headers, payload: body } );
		expect( res.statusCode ).toBe( 400 );
		expect( res.json() ).toMatchObject( { code: 'invalid_request' } );
		expect( await jobs() ).toBe( before );
	} );
} );

describe( 'recordings from Zoom', () => {
	let consultationId: number;
	let recordingId: number;
	let whole: Buffer;

	it( 'downloads, processes, encrypts and serves a recording.completed with its transcript', async () => {
		const made = await recorded( 'reel@example.test', [ { fileType: 'MP4', data: mp4 }, { fileType: 'TRANSCRIPT', data: Buffer.from( VTT ) } ] );
		consultationId = made.consultationId;
		await deliver( zoomRecordingEvent( made.recording, 'recording.completed' ) );
		await deliver( zoomRecordingEvent( made.recording, 'recording.transcript_completed' ) );
		await settle( async () => ( await available( consultationId )() ) && !! ( await recordingsTable().where( 'consultation_id', consultationId ).first() ).transcript_text );

		const rows = await recordingsTable().where( 'consultation_id', consultationId );
		expect( rows ).toHaveLength( 1 );
		const row = rows[ 0 ];
		recordingId = Number( row.id );
		expect( row ).toMatchObject( { status: 'available', platform: 'zoom', file_type: 'MP4', mime_type: 'video/mp4', source_size: mp4.length } );
		expect( row.duration_seconds ).toBe( 3 );
		expect( row.transcript_text ).toContain( 'how is the knee today' );
		expect( row.transcript_text ).toContain( 'Much better since the physiotherapy.' );
		// Kept for recording_retention_days (30 by default) from processing.
		const expiry = new Date( `${ String( row.expiry_date ).replace( ' ', 'T' ) }Z` ).getTime();
		expect( Math.abs( expiry - ( site.ctx.clock.now().getTime() + 30 * 86_400_000 ) ) ).toBeLessThan( 120_000 );
		// The download used the webhook's token as a bearer, never a query parameter.
		const downloads = site.zoom.requests.filter( ( r ) => r.path.startsWith( '/rec/download/' ) );
		expect( downloads.length ).toBeGreaterThanOrEqual( 2 );
		expect( downloads.every( ( r ) => r.headers.authorization === `Bearer ${ made.recording.download_token }` && ! ( 'access_token' in r.query ) ) ).toBe( true );

		// At rest: encrypted files only, no plaintext MP4 or transcript anywhere in the data folder.
		const folder = join( site.ctx.config.dataDir, 'recordings', String( row.storage_key ) );
		expect( readdirSync( folder ).sort() ).toEqual( [ 'poster.enc', 'transcript.enc', 'video.enc' ] );
		const atRest = readFileSync( join( folder, 'video.enc' ) );
		expect( atRest.includes( Buffer.from( 'ftyp' ) ) ).toBe( false );
		expect( readFileSync( join( folder, 'transcript.enc' ) ).includes( Buffer.from( 'knee' ) ) ).toBe( false );
		expect( readdirSync( join( site.ctx.config.dataDir, 'work' ) ) ).toEqual( [] );

		// Played through a signed link: the whole file is MP4 with moov before mdat (faststart).
		const link = await api( ADMIN, 'POST', `/v1/recordings/${ recordingId }/link`, { kind: 'video' } );
		expect( link.status ).toBe( 200 );
		const full = await media( String( link.json!.url ) );
		expect( full.status ).toBe( 200 );
		expect( full.headers[ 'content-type' ] ).toBe( 'video/mp4' );
		expect( full.headers[ 'accept-ranges' ] ).toBe( 'bytes' );
		whole = full.body;
		expect( whole.length ).toBe( Number( row.file_size ) );
		expect( whole.indexOf( 'moov' ) ).toBeGreaterThan( 0 );
		expect( whole.indexOf( 'moov' ) ).toBeLessThan( whole.indexOf( 'mdat' ) );
		const played = join( fixtures, 'played.mp4' );
		writeFileSync( played, whole );
		const probe = JSON.parse( execFileSync( 'ffprobe', [ '-v', 'error', '-print_format', 'json', '-show_streams', played ] ).toString() ) as { streams: Array< { codec_name: string } > };
		expect( probe.streams.map( ( s ) => s.codec_name ).sort() ).toEqual( [ 'aac', 'h264' ] );
		// Every frame decodes (the chunk offsets are right after moov moved) and they are the recorded ones.
		const md5s = ( f: string ) => execFileSync( 'ffmpeg', [ '-v', 'error', '-i', f, '-f', 'framemd5', '-' ] ).toString().split( '\n' ).filter( ( l ) => l && ! l.startsWith( '#' ) );
		expect( md5s( played ) ).toEqual( md5s( join( fixtures, 'meeting.mp4' ) ) );
	}, 60_000 );

	it( 'answers Range requests with 206 and exactly the bytes asked for, across encryption chunks', async () => {
		const link = await api( CUSTOMER( 'reel@example.test', 77 ), 'POST', `/v1/recordings/${ recordingId }/link`, {} );
		expect( link.status ).toBe( 200 );
		const url = String( link.json!.url );
		for ( const [ start, end ] of [ [ 0, 0 ], [ 100, 199 ], [ 65_530, 65_545 ], [ whole.length - 10, whole.length - 1 ] ] as const ) {
			const part = await media( url, { range: `bytes=${ start }-${ end }` } );
			expect( part.status ).toBe( 206 );
			expect( part.headers[ 'content-range' ] ).toBe( `bytes ${ start }-${ end }/${ whole.length }` );
			expect( Buffer.compare( part.body, whole.subarray( start, end + 1 ) ) ).toBe( 0 );
		}
		const tail = await media( url, { range: 'bytes=-16' } );
		expect( Buffer.compare( tail.body, whole.subarray( whole.length - 16 ) ) ).toBe( 0 );
		const open = await media( url, { range: `bytes=${ whole.length - 5 }-` } );
		expect( open.status ).toBe( 206 );
		expect( open.body.length ).toBe( 5 );
		const beyond = await media( url, { range: `bytes=${ whole.length }-` } );
		expect( beyond.status ).toBe( 416 );
		expect( beyond.headers[ 'content-range' ] ).toBe( `bytes */${ whole.length }` );
	} );

	it( 'serves the poster and the transcript, and refuses forged and expired links', async () => {
		const poster = await api( HOST( site.ids.provider ), 'POST', `/v1/recordings/${ recordingId }/link`, { kind: 'poster' } );
		const jpeg = await media( String( poster.json!.url ) );
		expect( jpeg.status ).toBe( 200 );
		expect( jpeg.headers[ 'content-type' ] ).toBe( 'image/jpeg' );
		expect( jpeg.body.subarray( 0, 2 ).toString( 'hex' ) ).toBe( 'ffd8' );
		const vtt = await api( HOST( site.ids.provider ), 'POST', `/v1/recordings/${ recordingId }/link`, { kind: 'transcript' } );
		const text = await media( String( vtt.json!.url ) );
		expect( text.body.toString() ).toBe( VTT );
		expect( text.headers[ 'content-type' ] ).toContain( 'text/vtt' );

		const url = new URL( String( poster.json!.url ) );
		const forged = new URL( url );
		forged.pathname = forged.pathname.replace( '/poster', '/video' );
		expect( ( await media( forged.toString() ) ).status ).toBe( 403 );
		const otherId = new URL( url );
		otherId.pathname = otherId.pathname.replace( `/${ recordingId }/`, `/${ recordingId + 1000 }/` );
		expect( ( await media( otherId.toString() ) ).status ).toBe( 403 );
		// Signed for an expiry in the past.
		const expiredUrl = site.ctx.app.services.mediaLinks.url( { recordingId, kind: 'video', download: false, exp: Math.floor( Date.now() / 1000 ) - 5 } );
		const expired = await media( expiredUrl );
		expect( expired.status ).toBe( 403 );
		expect( String( expired.json().message ) ).toContain( 'expired' );
	} );

	it( 'shows the recording to its host, its customer (also a guest with the invitation link) and admins, and to nobody else', async () => {
		const mine = await api( CUSTOMER( 'reel@example.test', 77 ), 'GET', '/v1/recordings' );
		expect( mine.status ).toBe( 200 );
		expect( ( mine.json!.recordings as Array< { id: number } > ).map( ( r ) => r.id ) ).toEqual( [ recordingId ] );
		expect( ( mine.json!.recordings as Array< Record< string, unknown > > )[ 0 ] ).toMatchObject( { status: 'available', can_download: true, can_manage: false, has_transcript: true, has_poster: true, duration_seconds: 3 } );

		const token = deriveAccessToken( SECRET, consultationId, 1 );
		const guest = await api( { sub: 0 }, 'GET', `/v1/recordings?bkx_vc=${ token }` );
		expect( ( guest.json!.recordings as Array< { id: number } > ).map( ( r ) => r.id ) ).toEqual( [ recordingId ] );
		const guestLink = await api( { sub: 0 }, 'POST', `/v1/recordings/${ recordingId }/link?bkx_vc=${ token }`, {} );
		expect( guestLink.status ).toBe( 200 );

		const host = await api( HOST( site.ids.provider ), 'GET', '/v1/recordings?search=physiotherapy' );
		expect( ( host.json!.recordings as Array< Record< string, unknown > > ).map( ( r ) => r.id ) ).toEqual( [ recordingId ] );
		expect( ( host.json!.recordings as Array< Record< string, unknown > > )[ 0 ]!.can_manage ).toBe( true );
		const nothing = await api( HOST( site.ids.provider ), 'GET', '/v1/recordings?search=no-such-words' );
		expect( nothing.json!.recordings ).toEqual( [] );

		const stranger = CUSTOMER( 'other@example.test', 78 );
		expect( ( await api( stranger, 'GET', '/v1/recordings' ) ).json!.recordings ).toEqual( [] );
		const refused = await api( stranger, 'POST', `/v1/recordings/${ recordingId }/link`, {} );
		expect( refused.status ).toBe( 403 );
		expect( refused.json ).toMatchObject( { code: 'forbidden' } );
		expect( ( await api( stranger, 'GET', `/v1/recordings/${ recordingId }` ) ).status ).toBe( 403 );
		const manager = { sub: 90, caps: [ 'bkx_video_manage' ], roles: [ 'bkx_manager' ], email: 'manager@example.test' };
		expect( ( await api( manager, 'POST', `/v1/recordings/${ recordingId }/link`, {} ) ).status ).toBe( 403 );
		expect( ( await api( { sub: 0 }, 'GET', '/v1/recordings' ) ).status ).toBe( 401 );
		const otherToken = deriveAccessToken( SECRET, consultationId + 999, 1 );
		expect( ( await api( { sub: 0 }, 'GET', `/v1/recordings?bkx_vc=${ otherToken }` ) ).status ).toBe( 401 );
		// The customer cannot share or delete.
		expect( ( await api( CUSTOMER( 'reel@example.test', 77 ), 'DELETE', `/v1/recordings/${ recordingId }` ) ).status ).toBe( 403 );
	} );

	it( 'keeps recordings private to the host unless shared when auto_send_recording is off', async () => {
		const off = await api( ADMIN, 'PUT', '/v1/settings', { auto_send_recording: false } );
		expect( off.status ).toBe( 200 );
		const customer = CUSTOMER( 'reel@example.test', 77 );
		expect( ( await api( customer, 'GET', '/v1/recordings' ) ).json!.recordings ).toEqual( [] );
		expect( ( await api( customer, 'POST', `/v1/recordings/${ recordingId }/link`, {} ) ).status ).toBe( 403 );
		const shared = await api( HOST( site.ids.provider ), 'PUT', `/v1/recordings/${ recordingId }`, { shared_with_customer: true } );
		expect( shared.status ).toBe( 200 );
		expect( shared.json ).toMatchObject( { shared_with_customer: true } );
		expect( ( await api( customer, 'GET', '/v1/recordings' ) ).json!.recordings ).toHaveLength( 1 );
		expect( ( await api( customer, 'PUT', `/v1/recordings/${ recordingId }`, { shared_with_customer: false } ) ).status ).toBe( 403 );
		const bad = await api( HOST( site.ids.provider ), 'PUT', `/v1/recordings/${ recordingId }`, { shared_with_customer: 'yes' } );
		expect( bad.status ).toBe( 400 );
		expect( ( await api( ADMIN, 'PUT', '/v1/settings', { auto_send_recording: true } ) ).status ).toBe( 200 );
	} );

	it( 'counts downloads and refuses them when disable_recording_download is on (admins excepted)', async () => {
		const customer = CUSTOMER( 'reel@example.test', 77 );
		const dl = await api( customer, 'POST', `/v1/recordings/${ recordingId }/link`, { download: true } );
		expect( dl.status ).toBe( 200 );
		const file = await media( String( dl.json!.url ) );
		expect( file.headers[ 'content-disposition' ] ).toMatch( /^attachment; filename="consultation-\d+-recording-\d+\.mp4"$/ );
		expect( ( await recordingsTable().where( 'id', recordingId ).first() ).download_count ).toBe( 1 );
		expect( ( await api( ADMIN, 'PUT', '/v1/settings', { disable_recording_download: true } ) ).status ).toBe( 200 );
		const refused = await api( customer, 'POST', `/v1/recordings/${ recordingId }/link`, { download: true } );
		expect( refused.status ).toBe( 403 );
		expect( refused.json ).toMatchObject( { code: 'recording_download_disabled' } );
		// Watching is still allowed.
		expect( ( await api( customer, 'POST', `/v1/recordings/${ recordingId }/link`, {} ) ).status ).toBe( 200 );
		expect( ( await api( ADMIN, 'POST', `/v1/recordings/${ recordingId }/link`, { download: true } ) ).status ).toBe( 200 );
		expect( ( await recordingsTable().where( 'id', recordingId ).first() ).download_count ).toBe( 2 );
		expect( ( await api( customer, 'POST', `/v1/recordings/${ recordingId }/link`, { kind: 'audio' } ) ).status ).toBe( 400 );
		await api( ADMIN, 'PUT', '/v1/settings', { disable_recording_download: false } );
	} );

	it( 'applies a retried or repeated recording.completed once', async () => {
		const made = await recorded( 'twice@example.test' );
		const event = zoomRecordingEvent( made.recording );
		await deliver( event );
		await deliver( event );
		await deliver( { ...event, event_ts: event.event_ts + 1 } );
		await settle( available( made.consultationId ) );
		expect( await recordingsTable().where( 'consultation_id', made.consultationId ) ).toHaveLength( 1 );
		const downloads = site.zoom.requests.filter( ( r ) => r.path === `/rec/download/${ made.recording.files[ 0 ]!.id }` );
		expect( downloads ).toHaveLength( 1 );
	} );

	it( 'resumes a download that broke off, with a Range request, and ends with one recording', async () => {
		const made = await recorded( 'resume@example.test' );
		site.zoom.setDownloadKnobs( { dropAfterBytes: Math.floor( mp4.length / 2 ) } );
		await deliver( zoomRecordingEvent( made.recording ) );
		await site.ctx.app.workers.runDueJobs();
		const job = await site.ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'idempotency_key', 'like', 'recording.download:%' ).orderBy( 'id', 'desc' ).first();
		expect( job ).toMatchObject( { status: 'queued', attempts: 1 } );
		site.ctx.clock.advance( 10_000 );
		await settle( available( made.consultationId ) );
		const path = `/rec/download/${ made.recording.files[ 0 ]!.id }`;
		const tries = site.zoom.requests.filter( ( r ) => r.path === path );
		expect( tries ).toHaveLength( 2 );
		expect( tries[ 1 ]!.headers.range ).toMatch( /^bytes=\d+-$/ );
		expect( Number( /\d+/.exec( String( tries[ 1 ]!.headers.range ) )![ 0 ] ) ).toBeGreaterThan( 0 );
		const rows = await recordingsTable().where( 'consultation_id', made.consultationId );
		expect( rows ).toHaveLength( 1 );
		expect( rows[ 0 ]!.status ).toBe( 'available' );
		// The stitched file is the original: it was remuxed only, so the durations agree.
		expect( rows[ 0 ]!.duration_seconds ).toBe( 3 );
	} );

	it( 'asks Zoom for a fresh download token when the webhook token has expired, and follows a redirect to storage', async () => {
		site.zoom.setDownloadKnobs( { downloadTokenTtlSeconds: -1, redirect: true } );
		const made = await recorded( 'late@example.test' );
		await deliver( zoomRecordingEvent( made.recording ) );
		await settle( available( made.consultationId ) );
		site.zoom.setDownloadKnobs( { downloadTokenTtlSeconds: 86_400, redirect: false } );
		expect( ( await recordingsTable().where( 'consultation_id', made.consultationId ).first() ).status ).toBe( 'available' );
		// Asked for this meeting instance (its uuid), with a fresh download credential.
		const api = site.zoom.requests.filter( ( r ) => /^\/v2\/meetings\/.+\/recordings$/.test( r.path ) );
		expect( api ).toHaveLength( 1 );
		expect( api[ 0 ]!.query ).toMatchObject( { include_fields: 'download_access_token' } );
		const segment = decodeURIComponent( /^\/v2\/meetings\/(.+)\/recordings$/.exec( api[ 0 ]!.path )![ 1 ]! );
		expect( /%2F/i.test( segment ) ? decodeURIComponent( segment ) : segment ).toBe( made.recording.uuid );
		// The storage host never saw our bearer token.
		const storage = site.zoom.requests.filter( ( r ) => r.path.startsWith( '/rec/storage/' ) );
		expect( storage.length ).toBeGreaterThan( 0 );
	} );

	it( 'marks a recording that ffmpeg cannot read as failed with the spec message and keeps the session', async () => {
		const made = await recorded( 'broken@example.test', [ { fileType: 'MP4', data: Buffer.alloc( 50_000, 7 ) } ] );
		const before = await site.ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', made.consultationId ).first();
		await deliver( zoomRecordingEvent( made.recording ) );
		await settle( available( made.consultationId ) );
		const row = await recordingsTable().where( 'consultation_id', made.consultationId ).first();
		expect( row.status ).toBe( 'failed' );
		expect( row.error ).toContain( 'Processing failed' );
		const view = await api( HOST( site.ids.provider ), 'GET', `/v1/recordings/${ row.id }` );
		expect( view.json ).toMatchObject( { status: 'failed', error: { code: 'recording_failed', message: 'Recording failed. Session data has been saved.' } } );
		const link = await api( HOST( site.ids.provider ), 'POST', `/v1/recordings/${ row.id }/link`, {} );
		expect( link.status ).toBe( 502 );
		expect( link.json ).toMatchObject( { code: 'recording_failed' } );
		const after = await site.ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', made.consultationId ).first();
		expect( after.status ).toBe( before.status );
		expect( readdirSync( join( site.ctx.config.dataDir, 'work' ) ) ).toEqual( [] );
	} );

	it( 'burns the watermark in when watermark_enabled is on', async () => {
		expect( ( await api( ADMIN, 'PUT', '/v1/settings', { watermark_enabled: true } ) ).status ).toBe( 200 );
		const made = await recorded( 'marked@example.test' );
		await deliver( zoomRecordingEvent( made.recording ) );
		await settle( available( made.consultationId ) );
		await api( ADMIN, 'PUT', '/v1/settings', { watermark_enabled: false } );
		const row = await recordingsTable().where( 'consultation_id', made.consultationId ).first();
		expect( row.status ).toBe( 'available' );
		// The poster is cut from the watermarked frames in the same ffmpeg run.
		expect( Number( row.poster_size ) ).toBeGreaterThan( 1000 );
		const posterLink = await api( ADMIN, 'POST', `/v1/recordings/${ row.id }/link`, { kind: 'poster' } );
		expect( ( await media( String( posterLink.json!.url ) ) ).body.subarray( 0, 2 ).toString( 'hex' ) ).toBe( 'ffd8' );
		const link = await api( ADMIN, 'POST', `/v1/recordings/${ row.id }/link`, {} );
		const marked = ( await media( String( link.json!.url ) ) ).body;
		// Re-encoded (a remux would be byte-for-byte the plain one's stream), still H.264.
		expect( Buffer.compare( marked, whole ) ).not.toBe( 0 );
		const file = join( fixtures, 'marked.mp4' );
		writeFileSync( file, marked );
		// The lower right corner differs from the unmarked frame at the same time.
		const crop = ( f: string ) => execFileSync( 'ffmpeg', [ '-v', 'error', '-ss', '1', '-i', f, '-frames:v', '1', '-vf', 'crop=120:30:iw-120:ih-30', '-f', 'rawvideo', '-pix_fmt', 'gray', '-' ] );
		const plain = crop( join( fixtures, 'played.mp4' ) );
		const diff = crop( file ).reduce( ( n, v, i ) => n + Math.abs( v - plain[ i ]! ), 0 );
		expect( diff ).toBeGreaterThan( 1000 );
	}, 60_000 );

	it( 'removes recordings after recording_retention_days, files and rows, and logs it', async () => {
		const row = await recordingsTable().where( 'id', recordingId ).first();
		const folder = join( site.ctx.config.dataDir, 'recordings', String( row.storage_key ) );
		expect( existsSync( folder ) ).toBe( true );
		site.ctx.clock.advance( 31 * 86_400_000 );
		// A link made before expiry stops working.
		const link = site.ctx.app.services.mediaLinks.url( { recordingId, kind: 'video', download: false, exp: Math.floor( Date.now() / 1000 ) + 60 } );
		expect( ( await media( link ) ).status ).toBe( 404 );
		// What the workers' hourly timer does (Teams is not configured here: its sweep is not queued).
		await site.ctx.app.workers.queuePeriodicJobs();
		const periodic = await site.ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'idempotency_key', 'like', 'recording.retention:%' ).orWhere( 'idempotency_key', 'like', 'teams.subscriptions:%' );
		expect( periodic.map( ( j ) => j.kind ) ).toEqual( [ 'recording.retention' ] );
		await settle( async () => ! ( await recordingsTable().where( 'id', recordingId ).first() ) );
		expect( existsSync( folder ) ).toBe( false );
		const audit = await site.ctx.db.knex( `${ PREFIX }bkx_video_audit_log` ).where( { action: 'recording.expired', subject_id: recordingId } );
		expect( audit ).toHaveLength( 1 );
		// The session itself stays.
		expect( await site.ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', consultationId ).first() ).toBeTruthy();
		site.ctx.clock.set( new Date().toISOString() );
	} );

	it( "removes a customer's recordings on a deletion request and logs it", async () => {
		const made = await recorded( 'forget.me@example.test' );
		await deliver( zoomRecordingEvent( made.recording ) );
		await settle( available( made.consultationId ) );
		const row = await recordingsTable().where( 'consultation_id', made.consultationId ).first();
		const folder = join( site.ctx.config.dataDir, 'recordings', String( row.storage_key ) );
		expect( ( await api( CUSTOMER( 'forget.me@example.test', 80 ), 'POST', '/v1/recordings/erase', { email: 'forget.me@example.test' } ) ).status ).toBe( 403 );
		expect( ( await api( ADMIN, 'POST', '/v1/recordings/erase', { email: 'not an email' } ) ).status ).toBe( 400 );
		const erased = await api( ADMIN, 'POST', '/v1/recordings/erase', { email: 'Forget.Me@example.test' } );
		expect( erased ).toMatchObject( { status: 200, json: { deleted: 1 } } );
		expect( await recordingsTable().where( 'consultation_id', made.consultationId ) ).toEqual( [] );
		expect( existsSync( folder ) ).toBe( false );
		expect( await site.ctx.db.knex( `${ PREFIX }bkx_video_audit_log` ).where( { action: 'recording.erased', subject_id: row.id, actor_id: 1 } ) ).toHaveLength( 1 );
	} );
} );

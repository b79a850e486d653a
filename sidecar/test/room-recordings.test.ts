/**
 * Recording in the built-in room (issue 6): consent in the hub (nothing is recorded before everyone
 * in the room agreed; a latecomer pauses it until they agree; only hosts start it), each consent
 * stored and audited, the host's upload (chunks in any order, retried, bounded; the wrong token or
 * recording refused; CORS for the site only), and a real WebM (VP8/Opus, as Chromium's
 * MediaRecorder makes it) processed by the pipeline into a playable MP4 served with Range.
 * A take left without a finish is finished, or marked failed, by the finalize job.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { ROOM_RECORDING_LIMITS, type RoomTicket, type ServerMessage } from '@bkx-video/contracts';

import { deriveAccessToken } from '../src/crypto';
import { createRoomHub, type RoomConfig, type RoomConn, type RoomPerson } from '../src/rooms/room-hub';
import type { RecordingEvent } from '../src/rooms/room-recording';
import { ADMIN, PREFIX, SECRET, bookSlot, bookingx, call, setup, type TestContext } from './helper';

const SITE = 'http://127.0.0.1:9';
const MAX_MB = 1;

let ctx: TestContext;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };
let base: string;
let hour = 8;
let fixtures: string;
let webm: Buffer;

beforeAll( async () => {
	fixtures = mkdtempSync( join( tmpdir(), 'bkx-room-rec-' ) );
	// What Chromium's MediaRecorder makes (video/webm;codecs=vp8,opus), 3 s.
	execFileSync( 'ffmpeg', [ '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '3', '-c:v', 'libvpx', '-b:v', '300k', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus', join( fixtures, 'x.webm' ) ] );
	webm = readFileSync( join( fixtures, 'x.webm' ) );
	ctx = await setup( { clockStart: new Date().toISOString(), env: { BKX_VIDEO_ROOM_RECORDING_MAX_MB: String( MAX_MB ) } } );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Tape' );
	ids = { provider, seat: await bx.seat( 'Dr. Tape', provider ), video: await bx.service( 'Video consultation', true ) };
	const settings = { require_authentication: false, webrtc_enabled: true, zoom_enabled: false, default_platform: 'webrtc', password_required: false, waiting_room_enabled: false };
	expect( ( await call( ctx.app, ADMIN, 'PUT', '/v1/settings', settings, ctx.clock.now() ) ).status ).toBe( 200 );
	base = await ctx.app.listen( { host: '127.0.0.1', port: 0 } );
}, 60_000 );
afterAll( async () => {
	await ctx?.close();
	rmSync( fixtures, { recursive: true, force: true } );
} );

const HOST = () => ( { sub: ids.provider, caps: [ 'bkx_video_conduct' ], email: 'provider@example.test', name: 'Dr. Tape' } );
const utc = ( sql: string ) => new Date( `${ sql.replace( ' ', 'T' ) }Z` );
const table = ( name: string ) => ctx.db.knex( `${ PREFIX }bkx_video_${ name }` );

async function consultation() {
	const bookingId = await bookSlot( ctx.app, bx, ids, `tape${ hour }@example.test`, 3, hour++ );
	const row = await table( 'consultations' ).where( 'booking_id', bookingId ).first();
	ctx.clock.set( new Date( utc( row.scheduled_start ).getTime() - 5 * 60_000 ).toISOString() );
	return { id: Number( row.id ), room: String( row.meeting_id ), token: deriveAccessToken( SECRET, Number( row.id ), 1 ), bookingId };
}

async function ticket( who: Record< string, unknown >, room: string, accessToken?: string ): Promise< RoomTicket > {
	const res = await call( ctx.app, who, 'POST', `/v1/rooms/${ room }/ticket${ accessToken ? `?bkx_vc=${ accessToken }` : '' }`, undefined, ctx.clock.now() );
	expect( res.status ).toBe( 200 );
	return res.json as unknown as RoomTicket;
}

/** In the room over a real socket; messages queued for the test. */
async function enter( who: Record< string, unknown >, room: string, accessToken?: string ) {
	const t = await ticket( who, room, accessToken );
	const ws = new WebSocket( `${ base.replace( 'http', 'ws' ) }/rooms/${ room }/signal?token=${ encodeURIComponent( t.token ) }`, { origin: SITE } );
	const inbox: ServerMessage[] = [];
	ws.on( 'message', ( data ) => inbox.push( JSON.parse( data.toString() ) as ServerMessage ) );
	await new Promise< void >( ( resolve, reject ) => {
		ws.on( 'open', () => resolve() );
		ws.on( 'error', reject );
	} );
	ws.send( JSON.stringify( { type: 'join' } ) );
	const c = {
		ws,
		inbox,
		ticket: t,
		send: ( m: unknown ) => ws.send( JSON.stringify( m ) ),
		async next< T extends ServerMessage[ 'type' ] >( type: T ): Promise< Extract< ServerMessage, { type: T } > > {
			const deadline = Date.now() + 3000;
			for ( ;; ) {
				const at = inbox.findIndex( ( m ) => m.type === type );
				if ( at >= 0 ) {
					return inbox.splice( at, 1 )[ 0 ] as Extract< ServerMessage, { type: T } >;
				}
				if ( Date.now() > deadline ) {
					throw new Error( `no ${ type }; got ${ JSON.stringify( inbox ) }` );
				}
				await new Promise( ( r ) => setTimeout( r, 20 ) );
			}
		},
		has: ( type: ServerMessage[ 'type' ] ) => inbox.some( ( m ) => m.type === type ),
	};
	return c;
}

/** The upload API as the host's browser calls it (through the app, with the site's Origin). */
async function upload( method: 'POST' | 'PUT' | 'OPTIONS', url: string, token: string | null, body?: Buffer | object, origin: string | null = SITE ) {
	const raw = Buffer.isBuffer( body );
	const res = await ctx.app.inject( {
		method,
		url,
		headers: {
			...( origin ? { origin } : {} ),
			...( token ? { authorization: `Bearer ${ token }` } : {} ),
			...( body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' } ),
		},
		...( body === undefined ? {} : { payload: raw ? ( body as Buffer ) : JSON.stringify( body ) } ),
	} );
	return { status: res.statusCode, json: ( res.body ? JSON.parse( res.body ) : null ) as Record< string, any >, headers: res.headers };
}

async function until< T >( read: () => Promise< T >, ok: ( v: T ) => boolean, what: string ): Promise< T > {
	for ( let i = 0; i < 150; i++ ) {
		const v = await read();
		if ( ok( v ) ) {
			return v;
		}
		await ctx.app.workers.runDueJobs();
		await new Promise( ( r ) => setTimeout( r, 40 ) );
	}
	throw new Error( `not reached: ${ what }: ${ JSON.stringify( await read() ) } jobs ${ JSON.stringify( await table( 'jobs' ).where( 'kind', 'like', '%recording%' ).select( 'kind', 'status', 'run_at', 'attempts', 'last_error' ) ) }` );
}

describe( 'consent in the room hub', () => {
	const config: RoomConfig = { roomId: 'r_rec', consultationId: 1, password: null, waitingRoom: false, maxParticipants: 4, endOnHostLeave: false, chat: true, screenShare: false, recording: true };
	const person = ( key: string, role: RoomPerson[ 'role' ] ): RoomPerson => ( { key, name: key, role, userId: 0, email: null } );
	function conn() {
		const inbox: ServerMessage[] = [];
		const c: RoomConn & { inbox: ServerMessage[]; types: () => string[] } = { inbox, send: ( m ) => inbox.push( m ), close: () => undefined, types: () => inbox.map( ( m ) => m.type ) };
		return c;
	}

	it( 'starts a recording only when everyone in the room consented, pauses it for a latecomer, and lets only hosts start it', () => {
		const events: RecordingEvent[] = [];
		const hub = createRoomHub( { clock: () => new Date(), events: { joined: () => undefined, left: () => undefined, ended: () => undefined, recording: ( _r, e ) => events.push( e ) } } );
		const h = conn();
		const host = hub.attach( config, person( 'wp-7', 'host' ), h );
		host.message( JSON.stringify( { type: 'join' } ) );
		const c = conn();
		const customer = hub.attach( config, person( 'customer-1', 'participant' ), c );
		customer.message( JSON.stringify( { type: 'join' } ) );
		expect( c.inbox.find( ( m ) => m.type === 'welcome' ) ).toMatchObject( { recording: false } );

		customer.message( JSON.stringify( { type: 'record', action: 'start' } ) );
		expect( c.inbox.at( -1 ) ).toMatchObject( { type: 'error', code: 'forbidden', fatal: false } );
		expect( hub.recordingOf( 'r_rec' ) ).toBeNull();

		host.message( JSON.stringify( { type: 'record', action: 'start' } ) );
		const asked = c.inbox.find( ( m ) => m.type === 'recording-consent-requested' );
		expect( asked ).toMatchObject( { take: expect.stringMatching( /^t_/ ) } );
		expect( h.types() ).not.toContain( 'recording-consent-requested' );
		expect( [ ...h.types(), ...c.types() ] ).not.toContain( 'recording-started' );
		expect( h.inbox.at( -1 ) ).toMatchObject( { type: 'recording-pending', waiting: [ expect.stringMatching( /^p_/ ) ] } );
		expect( hub.recordingOf( 'r_rec' ) ).toMatchObject( { active: false, byKey: 'wp-7', consented: [ 'wp-7' ] } );

		customer.message( JSON.stringify( { type: 'consent', recording: true } ) );
		const take = ( asked as { take: string } ).take;
		expect( h.inbox.at( -1 ) ).toEqual( { type: 'recording-started', by: expect.any( String ), take } );
		expect( c.inbox.at( -1 ) ).toEqual( { type: 'recording-started', by: expect.any( String ), take } );

		// A latecomer sees it is on, is asked, and nothing is recorded until they agree.
		const l = conn();
		const late = hub.attach( config, person( 'wp-9', 'host' ), l );
		late.message( JSON.stringify( { type: 'join' } ) );
		expect( l.inbox.find( ( m ) => m.type === 'welcome' ) ).toMatchObject( { recording: true } );
		expect( l.types() ).toContain( 'recording-consent-requested' );
		expect( h.inbox.at( -1 ) ).toMatchObject( { type: 'recording-pending', take } );
		expect( c.inbox.at( -1 ) ).toMatchObject( { type: 'recording-pending', take } );
		// Another host may not upload it (only its starter), but may stop it; first they agree.
		late.message( JSON.stringify( { type: 'consent', recording: true } ) );
		expect( h.inbox.at( -1 ) ).toMatchObject( { type: 'recording-started', take } );
		expect( hub.recordingOf( 'r_rec' ) ).toMatchObject( { active: true, consented: [ 'wp-7', 'customer-1', 'wp-9' ] } );

		// A second latecomer who leaves instead of agreeing: it resumes.
		const d = conn();
		const declines = hub.attach( config, person( 'customer-2', 'participant' ), d );
		declines.message( JSON.stringify( { type: 'join' } ) );
		expect( h.inbox.at( -1 ) ).toMatchObject( { type: 'recording-pending' } );
		declines.message( JSON.stringify( { type: 'leave' } ) );
		expect( h.inbox.at( -1 ) ).toMatchObject( { type: 'recording-started', take } );

		late.message( JSON.stringify( { type: 'record', action: 'stop' } ) );
		expect( c.inbox.at( -1 ) ).toMatchObject( { type: 'recording-stopped' } );
		expect( hub.recordingOf( 'r_rec' ) ).toBeNull();
		expect( events.map( ( e ) => `${ e.kind } ${ e.peer.key }` ) ).toEqual( [
			'requested wp-7',
			'consented wp-7',
			'pending wp-7',
			'consented customer-1',
			'started wp-7',
			'pending wp-7',
			'consented wp-9',
			'started wp-7',
			'pending wp-7',
			'started wp-7',
			'stopped wp-9',
		] );
	} );

	it( 'refuses recording when the site does not allow it, and stops a take when its host leaves', () => {
		const hub = createRoomHub( { clock: () => new Date(), events: { joined: () => undefined, left: () => undefined, ended: () => undefined } } );
		const h = conn();
		const s = hub.attach( { ...config, roomId: 'r_left', recording: false }, person( 'wp-7', 'host' ), h );
		s.message( JSON.stringify( { type: 'join' } ) );
		s.message( JSON.stringify( { type: 'record', action: 'start' } ) );
		expect( h.inbox.at( -1 ) ).toMatchObject( { type: 'error', code: 'forbidden' } );

		const a = conn();
		const sa = hub.attach( { ...config, roomId: 'r_go' }, person( 'wp-7', 'host' ), a );
		sa.message( JSON.stringify( { type: 'join' } ) );
		const b = conn();
		hub.attach( { ...config, roomId: 'r_go' }, person( 'customer-1', 'participant' ), b ).message( JSON.stringify( { type: 'join' } ) );
		sa.message( JSON.stringify( { type: 'record', action: 'start' } ) );
		sa.message( JSON.stringify( { type: 'leave' } ) );
		expect( b.inbox.at( -1 ) ).toMatchObject( { type: 'recording-stopped' } );
		expect( hub.recordingOf( 'r_go' ) ).toBeNull();
	} );
} );

describe( 'a recording made in the room', () => {
	it( 'becomes a playable recording of the consultation: consent stored, chunks uploaded in any order, processed to MP4', async () => {
		const c = await consultation();
		const host = await enter( HOST(), c.room );
		expect( host.ticket.room ).toMatchObject( { recording_enabled: true, auto_recording: true } );
		expect( ( await host.next( 'welcome' ) ).recording ).toBe( false );
		const customer = await enter( { sub: 0 }, c.room, c.token );
		await customer.next( 'welcome' );
		const url = `/rooms/${ c.room }/recordings`;

		// The customer may not start a recording, nor open an upload.
		customer.send( { type: 'record', action: 'start' } );
		expect( ( await customer.next( 'error' ) ).code ).toBe( 'forbidden' );
		expect( ( await upload( 'POST', url, customer.ticket.token, { take: 't_aaaaaaaaaaaa', mime_type: 'video/webm' } ) ).status ).toBe( 403 );

		host.send( { type: 'record', action: 'start' } );
		const { take } = await customer.next( 'recording-consent-requested' );
		await host.next( 'recording-pending' );
		// Not before the customer agreed: the upload cannot open.
		const early = await upload( 'POST', url, host.ticket.token, { take, mime_type: 'video/webm;codecs=vp8,opus' } );
		expect( early.status ).toBe( 409 );
		expect( customer.has( 'recording-started' ) || host.has( 'recording-started' ) ).toBe( false );

		customer.send( { type: 'consent', recording: true } );
		expect( ( await host.next( 'recording-started' ) ).take ).toBe( take );
		await customer.next( 'recording-started' );
		const consents = await until( () => table( 'recording_consents' ).where( 'consultation_id', c.id ).orderBy( 'id' ), ( rows ) => rows.length === 2, 'two consents stored' );
		expect( consents.map( ( r ) => [ r.participant_key, r.role, r.take ] ) ).toEqual( [
			[ `wp-${ ids.provider }`, 'host', take ],
			[ `customer-${ c.bookingId }`, 'participant', take ],
		] );
		expect( consents.every( ( r ) => r.consented_at ) ).toBe( true );
		const audit = await table( 'audit_log' ).where( { subject_type: 'consultation', subject_id: c.id } ).orderBy( 'id' );
		expect( audit.map( ( a ) => a.action ) ).toEqual( [ 'recording.requested', 'recording.consent', 'recording.consent' ] );

		// Wrong room for the token, wrong take.
		expect( ( await upload( 'POST', `/rooms/r_aaaaaaaaaaaaaaaaaaaa/recordings`, host.ticket.token, { take, mime_type: 'video/webm' } ) ).status ).toBe( 403 );
		expect( ( await upload( 'POST', url, host.ticket.token, { take: 't_bbbbbbbbbbbb', mime_type: 'video/webm' } ) ).status ).toBe( 409 );
		// CORS: the site's pages get a preflight answer; another origin is refused.
		const pre = await upload( 'OPTIONS', `${ url }/1/chunks/0`, null );
		expect( pre.status ).toBe( 204 );
		expect( pre.headers ).toMatchObject( { 'access-control-allow-origin': SITE, 'access-control-allow-methods': 'POST, PUT' } );
		expect( ( await upload( 'POST', url, host.ticket.token, { take, mime_type: 'video/webm' }, 'https://evil.example' ) ).status ).toBe( 403 );

		const opened = await upload( 'POST', url, host.ticket.token, { take, mime_type: 'video/webm;codecs=vp8,opus' } );
		expect( opened.status ).toBe( 200 );
		expect( opened.headers[ 'access-control-allow-origin' ] ).toBe( SITE );
		const { recording_id: id, upload_token: token } = opened.json;
		expect( opened.json ).toMatchObject( { chunk_max_bytes: ROOM_RECORDING_LIMITS.chunkMaxBytes, max_bytes: MAX_MB * 1024 * 1024 } );
		// Opening again finds the same recording.
		expect( ( await upload( 'POST', url, host.ticket.token, { take, mime_type: 'video/webm' } ) ).json.recording_id ).toBe( id );
		const row = await table( 'recordings' ).where( 'id', id ).first();
		expect( row ).toMatchObject( { consultation_id: c.id, platform: 'webrtc', platform_recording_id: take, file_type: 'WEBM', status: 'downloading' } );

		// Three chunks, out of order, one retried (with other bytes first: the retry replaces it).
		const third = Math.ceil( webm.length / 3 );
		const parts = [ webm.subarray( 0, third ), webm.subarray( third, 2 * third ), webm.subarray( 2 * third ) ];
		const put = ( n: number, bytes: Buffer, t = token ) => upload( 'PUT', `${ url }/${ id }/chunks/${ n }`, t, bytes );
		expect( ( await put( 2, parts[ 2 ]! ) ).json ).toMatchObject( { chunk: 2, received: 1 } );
		expect( ( await put( 0, Buffer.from( 'garbage' ) ) ).status ).toBe( 200 );
		expect( ( await put( 0, parts[ 0 ]! ) ).json ).toMatchObject( { chunk: 0, received: 2 } );
		// Too big: one chunk over its bound, or the recording over BKX_VIDEO_ROOM_RECORDING_MAX_MB.
		expect( ( await put( 5, Buffer.alloc( ROOM_RECORDING_LIMITS.chunkMaxBytes + 1 ) ) ).status ).toBe( 413 );
		const over = await put( 7, Buffer.alloc( MAX_MB * 1024 * 1024 ) );
		expect( over.status ).toBe( 413 );
		expect( over.json.code ).toBe( 'payload_too_large' );
		// Another recording's token, no token, an empty chunk.
		const other = await consultation();
		expect( ( await put( 1, parts[ 1 ]!, 'x.y.z' ) ).status ).toBe( 401 );
		expect( ( await upload( 'PUT', `${ url }/${ id + 1000 }/chunks/1`, token, parts[ 1 ]! ) ).status ).toBe( 403 );
		expect( ( await upload( 'PUT', `/rooms/${ other.room }/recordings/${ id }/chunks/1`, null, parts[ 1 ]! ) ).status ).toBe( 401 );
		expect( ( await put( 1, Buffer.alloc( 0 ) ) ).status ).toBe( 400 );
		// Finishing with a gap names it.
		const gap = await upload( 'POST', `${ url }/${ id }/finish`, token, { chunks: 3 } );
		expect( gap.status ).toBe( 409 );
		expect( gap.json.data.missing ).toEqual( [ 1 ] );
		expect( ( await put( 1, parts[ 1 ]! ) ).json ).toMatchObject( { chunk: 1, received: 3, bytes: webm.length } );

		const finished = await upload( 'POST', `${ url }/${ id }/finish`, token, { chunks: 3 } );
		expect( finished.status ).toBe( 200 );
		expect( finished.json ).toEqual( { recording_id: id, status: 'processing' } );
		expect( await table( 'jobs' ).where( { kind: 'recording.process', idempotency_key: `recording.process:${ id }` } ).first() ).toBeTruthy();
		// A retried finish answers the state; a chunk after it is refused.
		expect( ( await upload( 'POST', `${ url }/${ id }/finish`, token, { chunks: 3 } ) ).json.recording_id ).toBe( id );
		expect( ( await put( 3, parts[ 1 ]! ) ).status ).toBe( 409 );

		host.send( { type: 'record', action: 'stop' } );
		await customer.next( 'recording-stopped' );

		// The pipeline: VP8/Opus WebM → H.264/AAC MP4, poster, encrypted → available.
		ctx.clock.set( new Date().toISOString() );
		await until( async () => ( await table( 'recordings' ).where( 'id', id ).first() ).status, ( s ) => s === 'available' || s === 'failed', 'processed' );
		ctx.clock.set( new Date().toISOString() );
		const list = await call( ctx.app, HOST(), 'GET', `/v1/recordings?consultation_id=${ c.id }`, undefined, ctx.clock.now() );
		const [ view ] = ( list.json as { recordings: Array< Record< string, unknown > > } ).recordings;
		expect( view ).toMatchObject( { id, status: 'available', mime_type: 'video/mp4', has_poster: true, error: null } );
		expect( Number( view!.duration_seconds ) ).toBeGreaterThanOrEqual( 3 );
		const link = await call( ctx.app, HOST(), 'POST', `/v1/recordings/${ id }/link`, { kind: 'video', download: false }, ctx.clock.now() );
		expect( link.status ).toBe( 200 );
		const media = new URL( String( link.json!.url ) );
		const part = await ctx.app.inject( { method: 'GET', url: `${ media.pathname }${ media.search }`, headers: { range: 'bytes=0-99' } } );
		expect( part.statusCode ).toBe( 206 );
		expect( part.rawPayload.subarray( 4, 8 ).toString() ).toBe( 'ftyp' );
		const whole = await ctx.app.inject( { method: 'GET', url: `${ media.pathname }${ media.search }` } );
		writeFileSync( join( fixtures, 'out.mp4' ), whole.rawPayload );
		const probe = JSON.parse( execFileSync( 'ffprobe', [ '-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', join( fixtures, 'out.mp4' ) ] ).toString() ) as { streams: Array< { codec_name: string } >; format: { duration: string } };
		expect( probe.streams.map( ( s ) => s.codec_name ).sort() ).toEqual( [ 'aac', 'h264' ] );
		expect( Number( probe.format.duration ) ).toBeGreaterThanOrEqual( 2.9 );
		host.ws.close();
		customer.ws.close();
	}, 90_000 );

	it( 'finishes an upload its host left open when the take stops, and marks a take without chunks failed (recording_failed; the session stays)', async () => {
		const c = await consultation();
		const host = await enter( HOST(), c.room );
		await host.next( 'welcome' );
		const url = `/rooms/${ c.room }/recordings`;
		const open = async () => {
			host.send( { type: 'record', action: 'start' } );
			const { take } = await host.next( 'recording-started' );
			for ( let i = 0; ; i++ ) {
				const res = await upload( 'POST', url, host.ticket.token, { take: take!, mime_type: 'video/webm' } );
				if ( res.status === 200 || i > 50 ) {
					return res.json;
				}
				await new Promise( ( r ) => setTimeout( r, 50 ) );
			}
		};
		// Alone in the room, the host's own start is everyone's consent.
		const kept = await open();
		expect( ( await upload( 'PUT', `${ url }/${ kept.recording_id }/chunks/0`, kept.upload_token, webm ) ).status ).toBe( 200 );
		host.send( { type: 'record', action: 'stop' } );
		await host.next( 'recording-stopped' );
		const empty = await open();
		host.send( { type: 'record', action: 'stop' } );
		await host.next( 'recording-stopped' );

		const status = async ( id: number ) => ( await table( 'recordings' ).where( 'id', id ).first() ).status as string;
		await until( async () => table( 'jobs' ).where( 'kind', 'room_recording.finalize' ).andWhere( 'idempotency_key', 'like', '%:stopped' ), ( rows ) => rows.length >= 2, 'finalize jobs queued' );
		expect( await status( kept.recording_id ) ).toBe( 'downloading' );
		// Two minutes later nobody finished them: the job does.
		ctx.clock.set( new Date( ctx.clock.now().getTime() + 3 * 60_000 ).toISOString() );
		await until( async () => [ await status( kept.recording_id ), await status( empty.recording_id ) ], ( [ a, b ] ) => ( a === 'available' || a === 'failed' ) && b === 'failed', 'finalized' );
		expect( await status( kept.recording_id ) ).toBe( 'available' );
		ctx.clock.set( new Date().toISOString() );
		const list = await call( ctx.app, HOST(), 'GET', `/v1/recordings?consultation_id=${ c.id }`, undefined, ctx.clock.now() );
		const failed = ( list.json as { recordings: Array< Record< string, unknown > > } ).recordings.find( ( r ) => r.id === empty.recording_id );
		expect( failed ).toMatchObject( { status: 'failed', error: { code: 'recording_failed', message: 'Recording failed. Session data has been saved.' } } );
		expect( ( await table( 'consultations' ).where( 'id', c.id ).first() ).status ).not.toBe( 'failed' );
		host.ws.close();
	}, 90_000 );
} );

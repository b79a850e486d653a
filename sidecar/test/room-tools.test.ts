/**
 * In the room (issue 6): the provider's session notes (host saves, a reload reads them, customers
 * get 403, a stale save from another tab gets 409 with both texts kept, too long is 413 with
 * nothing written) and files shared in the room (a PNG is stored encrypted and announced to the
 * room; too large is 413, an executable named .png is 415, nothing stored either way; only people
 * in that room get a download link).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { NOTES_MAX_LENGTH, type RoomTicket, type ServerMessage } from '@bkx-video/contracts';

import { deriveAccessToken } from '../src/crypto';
import { ADMIN, PREFIX, SECRET, bookSlot, bookingx, call, setup, type TestContext } from './helper';

const SITE = 'http://127.0.0.1:9';
const PNG = Buffer.from( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64' );

let ctx: TestContext;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };
let base: string;
let hour = 8;

beforeAll( async () => {
	ctx = await setup( { clockStart: new Date().toISOString() } );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', 'provider@example.test', 'Dr. Notes' );
	ids = { provider, seat: await bx.seat( 'Dr. Notes', provider ), video: await bx.service( 'Video consultation', true ) };
	const settings = { require_authentication: false, webrtc_enabled: true, zoom_enabled: false, default_platform: 'webrtc', password_required: false, waiting_room_enabled: true, max_upload_size: 1 };
	expect( ( await call( ctx.app, ADMIN, 'PUT', '/v1/settings', settings, ctx.clock.now() ) ).status ).toBe( 200 );
	base = await ctx.app.listen( { host: '127.0.0.1', port: 0 } );
} );
afterAll( async () => {
	await ctx?.close();
} );

const HOST = () => ( { sub: ids.provider, caps: [ 'bkx_video_conduct' ], email: 'provider@example.test', name: 'Dr. Notes' } );
const utc = ( sql: string ) => new Date( `${ sql.replace( ' ', 'T' ) }Z` );

/** A booked consultation on the built-in room, with the clock 5 minutes before its start. */
async function consultation() {
	const bookingId = await bookSlot( ctx.app, bx, ids, `cara${ hour }@example.test`, 3, hour++ );
	const row = await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
	ctx.clock.set( new Date( utc( row.scheduled_start ).getTime() - 5 * 60_000 ).toISOString() );
	return { id: Number( row.id ), room: String( row.meeting_id ), token: deriveAccessToken( SECRET, Number( row.id ), 1 ) };
}

async function ticket( who: Record< string, unknown >, room: string, accessToken?: string ): Promise< RoomTicket > {
	const res = await call( ctx.app, who, 'POST', `/v1/rooms/${ room }/ticket${ accessToken ? `?bkx_vc=${ accessToken }` : '' }`, undefined, ctx.clock.now() );
	expect( res.status ).toBe( 200 );
	return res.json as unknown as RoomTicket;
}

/** A signaling connection that has sent `join`, with its messages queued. */
async function enter( t: RoomTicket ) {
	const ws = new WebSocket( `${ base.replace( 'http', 'ws' ) }/rooms/${ t.signaling_url.split( '/rooms/' )[ 1 ]!.split( '/' )[ 0 ] }/signal?token=${ encodeURIComponent( t.token ) }`, { origin: SITE } );
	const inbox: ServerMessage[] = [];
	ws.on( 'message', ( data ) => inbox.push( JSON.parse( data.toString() ) as ServerMessage ) );
	await new Promise< void >( ( resolve, reject ) => {
		ws.on( 'open', () => resolve() );
		ws.on( 'error', reject );
	} );
	ws.send( JSON.stringify( { type: 'join' } ) );
	return {
		ws,
		async next< T extends ServerMessage[ 'type' ] >( type: T ): Promise< Extract< ServerMessage, { type: T } > > {
			const deadline = Date.now() + 3000;
			for ( ;; ) {
				const at = inbox.findIndex( ( m ) => m.type === type );
				if ( at >= 0 ) {
					return inbox.splice( at, 1 )[ 0 ] as Extract< ServerMessage, { type: T } >;
				}
				if ( Date.now() > deadline ) {
					throw new Error( `no ${ type } message; got ${ JSON.stringify( inbox ) }` );
				}
				await new Promise( ( r ) => setTimeout( r, 20 ) );
			}
		},
	};
}

const notes = ( who: Record< string, unknown >, id: number, method: 'GET' | 'PUT', body?: unknown, accessToken?: string ) =>
	call( ctx.app, who, method, `/v1/consultations/${ id }/notes${ accessToken ? `?bkx_vc=${ accessToken }` : '' }`, body, ctx.clock.now() );
const noteRows = ( id: number ) => ctx.db.knex( `${ PREFIX }bkx_video_session_notes` ).where( 'consultation_id', id );

describe( 'session notes', () => {
	it( 'saves the host\'s notes and reads them back after a reload', async () => {
		const c = await consultation();
		const empty = await notes( HOST(), c.id, 'GET' );
		expect( [ empty.status, empty.json ] ).toEqual( [ 200, { consultation_id: c.id, notes: '', version: 0, updated_at: null, is_shared_with_customer: false } ] );
		const first = await notes( HOST(), c.id, 'PUT', { notes: 'BP 120/80.', base_version: 0 } );
		expect( first.status ).toBe( 200 );
		expect( first.json ).toMatchObject( { notes: 'BP 120/80.', version: 1, is_shared_with_customer: false } );
		const second = await notes( HOST(), c.id, 'PUT', { notes: 'BP 120/80. Follow up in 2 weeks.', base_version: 1 } );
		expect( second.json ).toMatchObject( { version: 2 } );
		const reload = await notes( HOST(), c.id, 'GET' );
		expect( reload.json ).toMatchObject( { notes: 'BP 120/80. Follow up in 2 weeks.', version: 2 } );
		expect( reload.json!.updated_at ).toBe( ctx.clock.now().toISOString().replace( /\.\d+Z$/, '.000Z' ) );
		const rows = await noteRows( c.id );
		expect( rows ).toHaveLength( 1 );
		expect( rows[ 0 ] ).toMatchObject( { created_by: ids.provider, is_shared_with_customer: 0, version: 2 } );
	} );

	it( 'answers 403 to the customer, a manager and a stranger, and writes nothing', async () => {
		const c = await consultation();
		const guest = await notes( { sub: 0 }, c.id, 'GET', undefined, c.token );
		expect( [ guest.status, guest.json!.code ] ).toEqual( [ 403, 'forbidden' ] );
		const guestSave = await notes( { sub: 0 }, c.id, 'PUT', { notes: 'mine', base_version: 0 }, c.token );
		expect( guestSave.status ).toBe( 403 );
		const manager = await notes( { sub: 77, caps: [ 'bkx_video_manage' ] }, c.id, 'PUT', { notes: 'x', base_version: 0 } );
		expect( manager.status ).toBe( 403 );
		const stranger = await notes( { sub: 78, caps: [ 'read' ], email: 'x@example.test' }, c.id, 'GET' );
		expect( stranger.status ).toBe( 403 );
		expect( await noteRows( c.id ) ).toHaveLength( 0 );
		// Admins keep notes of their own.
		expect( ( await notes( ADMIN, c.id, 'PUT', { notes: 'admin', base_version: 0 } ) ).status ).toBe( 200 );
	} );

	it( 'answers 409 conflict with the stored text to a save from a stale tab, and accepts a retry of a save that went through', async () => {
		const c = await consultation();
		await notes( HOST(), c.id, 'PUT', { notes: 'start', base_version: 0 } );
		const tabA = await notes( HOST(), c.id, 'PUT', { notes: 'start + A', base_version: 1 } );
		expect( tabA.status ).toBe( 200 );
		const tabB = await notes( HOST(), c.id, 'PUT', { notes: 'start + B', base_version: 1 } );
		expect( [ tabB.status, tabB.json!.code ] ).toEqual( [ 409, 'conflict' ] );
		expect( ( tabB.json!.data as { current: unknown } ).current ).toMatchObject( { notes: 'start + A', version: 2 } );
		expect( ( await noteRows( c.id ) )[ 0 ].notes ).toBe( 'start + A' );
		// Two first saves at once: one row, the other gets the conflict.
		const d = await consultation();
		const both = await Promise.all( [ notes( HOST(), d.id, 'PUT', { notes: 'one', base_version: 0 } ), notes( HOST(), d.id, 'PUT', { notes: 'two', base_version: 0 } ) ] );
		expect( both.map( ( r ) => r.status ).sort() ).toEqual( [ 200, 409 ] );
		expect( await noteRows( d.id ) ).toHaveLength( 1 );
		// A keepalive save whose answer was lost, sent again: same text, so no conflict.
		const again = await notes( HOST(), c.id, 'PUT', { notes: 'start + A', base_version: 1 } );
		expect( [ again.status, again.json!.version ] ).toEqual( [ 200, 2 ] );
	} );

	it( 'refuses notes over the limit with 413 and a clear message, and bad input with 400; nothing is written', async () => {
		const c = await consultation();
		await notes( HOST(), c.id, 'PUT', { notes: 'keep me', base_version: 0 } );
		const big = await notes( HOST(), c.id, 'PUT', { notes: 'x'.repeat( NOTES_MAX_LENGTH + 1 ), base_version: 1 } );
		expect( [ big.status, big.json!.code ] ).toEqual( [ 413, 'payload_too_large' ] );
		expect( big.json!.message ).toContain( '100,000 characters' );
		const bad = await notes( HOST(), c.id, 'PUT', { notes: 42, base_version: 1 } );
		expect( [ bad.status, bad.json!.code ] ).toEqual( [ 400, 'invalid_request' ] );
		const rows = await noteRows( c.id );
		expect( rows.map( ( r ) => [ r.notes, r.version ] ) ).toEqual( [ [ 'keep me', 1 ] ] );
		expect( ( await notes( HOST(), c.id, 'PUT', { notes: 'x'.repeat( NOTES_MAX_LENGTH ), base_version: 1 } ) ).status ).toBe( 200 );
	} );
} );

/** An upload as the room's browser sends it. */
function upload( room: string, token: string, bytes: Buffer, name: string, type = 'application/octet-stream', origin = SITE ) {
	return ctx.app.inject( {
		method: 'POST',
		url: `/rooms/${ room }/files`,
		headers: { authorization: `Bearer ${ token }`, 'content-type': type, 'x-file-name': encodeURIComponent( name ), origin },
		payload: bytes,
	} );
}
const link = ( room: string, token: string, id: number ) =>
	ctx.app.inject( { method: 'POST', url: `/rooms/${ room }/files/${ id }/link`, headers: { authorization: `Bearer ${ token }`, origin: SITE } } );
const fileRows = ( id: number ) => ctx.db.knex( `${ PREFIX }bkx_video_room_files` ).where( 'consultation_id', id );
const stored = async () => ( await readdir( join( ctx.config.dataDir, 'room-files' ) ).catch( () => [] ) ).length;

/** Host in, the customer admitted from the waiting room; tickets of both. */
async function roomWithBoth() {
	const c = await consultation();
	const hostTicket = await ticket( HOST(), c.room );
	const host = await enter( hostTicket );
	await host.next( 'welcome' );
	const customerTicket = await ticket( { sub: 0 }, c.room, c.token );
	const customer = await enter( customerTicket );
	await customer.next( 'waiting' );
	// Waiting is not being in the room: no sharing yet.
	const early = await upload( c.room, customerTicket.token, PNG, 'x.png' );
	expect( [ early.statusCode, early.json().code ] ).toEqual( [ 403, 'forbidden' ] );
	const lobby = await host.next( 'lobby' );
	host.ws.send( JSON.stringify( { type: 'admit', peer: lobby.waiting[ 0 ]!.id } ) );
	const welcome = await customer.next( 'welcome' );
	return { c, host, customer, hostTicket, customerTicket, customerPeer: welcome.self.id };
}

describe( 'files in the room', () => {
	it( 'stores a PNG encrypted, tells the room, and lets the host download the same bytes', async () => {
		const { c, host, customer, hostTicket, customerTicket, customerPeer } = await roomWithBoth();
		const before = await stored();
		const res = await upload( c.room, customerTicket.token, PNG, 'Röntgen 1.png', 'image/png' );
		expect( res.statusCode ).toBe( 201 );
		expect( res.headers[ 'access-control-allow-origin' ] ).toBe( SITE );
		const file = res.json();
		expect( file ).toMatchObject( { name: 'Röntgen 1.png', size: PNG.length, mime: 'image/png' } );
		const shared = await host.next( 'file-shared' );
		expect( shared ).toMatchObject( { id: file.id, name: 'Röntgen 1.png', size: PNG.length, mime: 'image/png', from: customerPeer, from_name: 'Cara Customer' } );
		expect( ( await customer.next( 'file-shared' ) ).id ).toBe( file.id );
		const rows = await fileRows( c.id );
		expect( rows ).toHaveLength( 1 );
		expect( rows[ 0 ] ).toMatchObject( { uploaded_by: expect.stringMatching( /^customer-\d+$/ ), mime: 'image/png', size: PNG.length } );
		expect( await stored() ).toBe( before + 1 );
		// Encrypted at rest: the PNG signature is nowhere in the stored file.
		const { readFile } = await import( 'node:fs/promises' );
		const onDisk = await readFile( join( ctx.config.dataDir, 'room-files', rows[ 0 ].storage_key, 'file.enc' ) );
		expect( onDisk.includes( PNG.subarray( 0, 8 ) ) ).toBe( false );

		const l = await link( c.room, hostTicket.token, file.id );
		expect( l.statusCode ).toBe( 200 );
		const download = await ctx.app.inject( { method: 'GET', url: l.json().url } );
		expect( download.statusCode ).toBe( 200 );
		expect( download.rawPayload.equals( PNG ) ).toBe( true );
		expect( download.headers ).toMatchObject( { 'content-type': 'image/png', 'x-content-type-options': 'nosniff' } );
		expect( download.headers[ 'content-disposition' ] ).toBe( `attachment; filename="R_ntgen 1.png"; filename*=UTF-8''R%C3%B6ntgen%201.png` );
		host.ws.close();
		customer.ws.close();
	} );

	it( 'refuses a file over max_upload_size with 413 and the limit, and an executable named .png with 415; nothing is stored', async () => {
		const { c, host, customer, customerTicket } = await roomWithBoth();
		const before = await stored();
		const big = await upload( c.room, customerTicket.token, Buffer.concat( [ PNG, Buffer.alloc( 1024 * 1024 ) ] ), 'big.png', 'image/png' );
		expect( [ big.statusCode, big.json().code ] ).toEqual( [ 413, 'payload_too_large' ] );
		expect( big.json().message ).toContain( 'at most 1 MB' );
		expect( big.headers[ 'access-control-allow-origin' ] ).toBe( SITE );
		const exe = Buffer.concat( [ Buffer.from( 'MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1' ), Buffer.alloc( 200 ) ] );
		const fake = await upload( c.room, customerTicket.token, exe, 'holiday.png', 'image/png' );
		expect( [ fake.statusCode, fake.json().code ] ).toEqual( [ 415, 'file_type_not_allowed' ] );
		expect( fake.json().message ).toContain( 'PDF' );
		const empty = await upload( c.room, customerTicket.token, Buffer.alloc( 0 ), 'nothing.txt', 'text/plain' );
		expect( empty.statusCode ).toBe( 400 );
		expect( await fileRows( c.id ) ).toHaveLength( 0 );
		expect( await stored() ).toBe( before );
		await new Promise( ( r ) => setTimeout( r, 100 ) );
		await expect( host.next( 'file-shared' ) ).rejects.toThrow( /no file-shared/ );
		host.ws.close();
		customer.ws.close();
	}, 15_000 );

	it( 'gives no link to the customer of another booking, and refuses forged links and foreign pages', async () => {
		const a = await roomWithBoth();
		const res = await upload( a.c.room, a.customerTicket.token, PNG, 'a.png' );
		const id = res.json().id as number;
		const aTime = ctx.clock.now().toISOString();
		const b = await roomWithBoth();
		// Back to A's hour: both rooms' tokens are valid then (B's were issued later, so not expired).
		ctx.clock.set( aTime );
		// B's token names room B: not valid for room A…
		const cross = await link( a.c.room, b.customerTicket.token, id );
		expect( [ cross.statusCode, cross.json().code ] ).toEqual( [ 403, 'forbidden' ] );
		// …and room A's file is not in room B.
		const other = await link( b.c.room, b.customerTicket.token, id );
		expect( [ other.statusCode, other.json().code ] ).toEqual( [ 404, 'not_found' ] );
		const noToken = await ctx.app.inject( { method: 'POST', url: `/rooms/${ a.c.room }/files/${ id }/link` } );
		expect( noToken.statusCode ).toBe( 401 );
		// A link is for its room and file only, and only with its signature.
		const good = ( await link( a.c.room, a.customerTicket.token, id ) ).json().url as string;
		const forged = await ctx.app.inject( { method: 'GET', url: good.replace( /sig=[^&]+/, `sig=${ 'A'.repeat( 43 ) }` ) } );
		expect( forged.statusCode ).toBe( 403 );
		const moved = await ctx.app.inject( { method: 'GET', url: good.replace( a.c.room, b.c.room ) } );
		expect( moved.statusCode ).toBe( 403 );
		// Another site's page gets nothing; the site's own preflight gets the CORS answer.
		const foreign = await upload( a.c.room, a.customerTicket.token, PNG, 'a.png', 'image/png', 'https://evil.example' );
		expect( [ foreign.statusCode, foreign.headers[ 'access-control-allow-origin' ] ] ).toEqual( [ 403, undefined ] );
		const preflight = await ctx.app.inject( {
			method: 'OPTIONS',
			url: `/rooms/${ a.c.room }/files`,
			headers: { origin: SITE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-file-name' },
		} );
		expect( preflight.statusCode ).toBe( 204 );
		expect( preflight.headers ).toMatchObject( { 'access-control-allow-origin': SITE, 'access-control-allow-headers': 'authorization, content-type, x-file-name' } );
		for ( const r of [ a, b ] ) {
			r.host.ws.close();
			r.customer.ws.close();
		}
	} );
} );

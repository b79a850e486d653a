/**
 * Zoom webhooks as Zoom sends them (signed by the fake's helpers, platform-contracts §1.6), through
 * the sidecar's `/webhooks/zoom`: the URL validation answer, refusals that store nothing (forged,
 * unsigned, stale, malformed), unknown events ignored, duplicates applied once, and the session they
 * describe (start, end, who took part for how long, no-show, overtime), also when events arrive out
 * of order.
 */
import { createHmac } from 'node:crypto';

import { signZoomWebhook, zoomMeetingEvent, zoomUrlValidationEvent, type ZoomWebhookEnvelope, type ZoomWebhookSignOptions } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PREFIX, bookingx, bookSlot, drainAll, startZoomSite, type TestContext } from './helper';

type ZoomFake = Awaited< ReturnType< typeof startZoomSite > >[ 'zoom' ];

const CREDS = { accountId: 'acct-wh', clientId: 'client-wh', clientSecret: 'secret-wh-0123456789' };
const WEBHOOK_SECRET = 'zoom-webhook-secret-token-0123';

let zoom: ZoomFake;
let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startZoomSite > >[ 'relay' ];
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };
let site: Awaited< ReturnType< typeof startZoomSite > >;
let slotHour = 8;

beforeAll( async () => {
	site = await startZoomSite( { creds: CREDS, provider: 'Dr. Hook', settings: { zoom_webhook_secret: WEBHOOK_SECRET } } );
	( { zoom, ctx, relay, bx, ids } = site );
} );
afterAll( async () => {
	await site?.close();
} );

/** One delivery to the sidecar, signed as Zoom signs it (or not, per `opts`). */
async function deliver( envelope: ZoomWebhookEnvelope | string, opts: ZoomWebhookSignOptions = {} ) {
	const { body, headers } = signZoomWebhook( WEBHOOK_SECRET, envelope, opts );
	const res = await ctx.app.inject( { method: 'POST', url: '/webhooks/zoom', headers, payload: body } );
	return { status: res.statusCode, json: res.json() as Record< string, any > };
}

const stored = async () => ( await ctx.db.knex( `${ PREFIX }bkx_video_webhook_events` ).count( { n: '*' } ).first() )!.n as number;
const webhookJobs = async () => ( await ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'kind', 'webhook.zoom' ).count( { n: '*' } ).first() )!.n as number;

/** A booked consultation with its Zoom meeting (as the fake holds it). */
async function consultation( email: string ) {
	const bookingId = await bookSlot( ctx.app, bx, ids, email, 3, slotHour++ );
	const row = await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
	const meeting = zoom.meetings.get( String( row.meeting_id ) )!;
	expect( meeting ).toBeDefined();
	const start = new Date( `${ String( row.scheduled_start ).replace( ' ', 'T' ) }Z` );
	const end = new Date( `${ String( row.scheduled_end ).replace( ' ', 'T' ) }Z` );
	return { id: Number( row.id ), meeting, start, end, row: async () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', row.id ).first() };
}
const minutes = ( base: Date, m: number ) => new Date( base.getTime() + m * 60_000 );
const participants = ( consultationId: number ) => ctx.db.knex( `${ PREFIX }bkx_video_participants` ).where( 'consultation_id', consultationId ).orderBy( 'id' );
const HOST = { user_name: 'Dr. Hook', email: 'host@example.test', participant_uuid: 'host-uuid' };

describe( 'the Zoom webhook endpoint', () => {
	it( 'answers the URL validation with the plain token and its HMAC', async () => {
		const event = zoomUrlValidationEvent( 'plain-token-123' );
		const res = await deliver( event );
		expect( res.status ).toBe( 200 );
		expect( res.json ).toEqual( { plainToken: 'plain-token-123', encryptedToken: createHmac( 'sha256', WEBHOOK_SECRET ).update( 'plain-token-123' ).digest( 'hex' ) } );
	} );

	it( 'refuses forged, unsigned and stale deliveries with 401 and a malformed one with 400, storing nothing', async () => {
		const c = await consultation( 'refused@example.test' );
		const event = zoomMeetingEvent( c.meeting as never, 'meeting.started', { at: c.start } );
		const before = { stored: await stored(), jobs: await webhookJobs() };
		const forged = await deliver( event, { signature: 'wrong' } );
		expect( forged.status ).toBe( 401 );
		expect( forged.json ).toMatchObject( { code: 'webhook_signature_invalid', data: { reason: 'webhook_signature_invalid' } } );
		expect( ( await deliver( event, { signature: 'none' } ) ).json.data.reason ).toBe( 'webhook_signature_missing' );
		const stale = await deliver( event, { timestamp: Math.floor( Date.now() / 1000 ) - 301 } );
		expect( stale ).toMatchObject( { status: 401, json: { data: { reason: 'webhook_timestamp_stale' } } } );
		expect( ( await deliver( '{"event": "meeting.started", ' ) ).status ).toBe( 400 );
		expect( ( await deliver( JSON.stringify( { event: 'meeting.started', event_ts: Date.now(), payload: { object: { topic: 'no id' } } } ) ) ).status ).toBe( 400 );
		expect( { stored: await stored(), jobs: await webhookJobs() } ).toEqual( before );
		await drainAll( ctx.app );
		expect( ( await c.row() ).status ).toBe( 'scheduled' );
	} );

	it( 'answers 200 to an event it does not use, and stores nothing for it', async () => {
		const before = await stored();
		const res = await deliver( { event: 'meeting.sharing_started', event_ts: Date.now(), payload: { account_id: 'a', object: { id: '1' } } } );
		expect( res ).toMatchObject( { status: 200, json: { ignored: true } } );
		expect( await stored() ).toBe( before );
	} );
} );

describe( 'a consultation’s session from Zoom’s events', () => {
	it( 'records start, end, who took part and for how long; a retried event is applied once', async () => {
		const c = await consultation( 'held@example.test' );
		const customer = { user_name: 'Held Customer', email: 'held@example.test', participant_uuid: 'cust-uuid' };
		const host = { ...HOST, id: c.meeting.host_id };
		const events = [
			zoomMeetingEvent( c.meeting as never, 'meeting.started', { at: minutes( c.start, -2 ) } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: minutes( c.start, -2 ), participant: host } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: minutes( c.start, 1 ), participant: customer } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_left', { at: minutes( c.start, 25 ), participant: customer } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_left', { at: minutes( c.start, 26 ), participant: host } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.ended', { at: minutes( c.start, 26 ) } ),
		];
		const first = await deliver( events[ 0 ]! );
		expect( first ).toMatchObject( { status: 200, json: { received: true } } );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'in_progress' } );
		for ( const e of events.slice( 1 ) ) {
			expect( ( await deliver( e ) ).status ).toBe( 200 );
		}
		// Zoom retries the customer's join twice more: a duplicate, answered 200 all the same.
		const retries = [ await deliver( events[ 2 ]! ), await deliver( events[ 2 ]! ) ];
		expect( retries.map( ( r ) => r.json ) ).toEqual( [ { received: true, duplicate: true }, { received: true, duplicate: true } ] );
		await drainAll( ctx.app );

		const row = await c.row();
		expect( row ).toMatchObject( { status: 'completed', participant_count: 2, actual_start: expect.stringMatching( /:\d\d:00$/ ) } );
		expect( new Date( `${ row.actual_start.replace( ' ', 'T' ) }Z` ) ).toEqual( minutes( c.start, -2 ) );
		expect( new Date( `${ row.actual_end.replace( ' ', 'T' ) }Z` ) ).toEqual( minutes( c.start, 26 ) );
		const people = await participants( c.id );
		expect( people.map( ( p ) => [ p.name, p.role, p.duration_seconds ] ) ).toEqual( [
			[ 'Dr. Hook', 'host', 28 * 60 ],
			[ 'Held Customer', 'participant', 24 * 60 ],
		] );
		expect( JSON.parse( row.metadata ).overtime_minutes ).toBeUndefined();
	} );

	it( 'gets the same result when the events arrive out of order, and matches a numeric meeting id', async () => {
		const c = await consultation( 'shuffled@example.test' );
		const customer = { user_name: 'Shuffled Customer', email: 'shuffled@example.test', participant_uuid: 'shuf-uuid' };
		const host = { ...HOST, participant_uuid: 'host-2', id: c.meeting.host_id };
		const events = [
			zoomMeetingEvent( c.meeting as never, 'meeting.ended', { at: minutes( c.start, 30 ), idAs: 'number' } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_left', { at: minutes( c.start, 20 ), participant: customer } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: minutes( c.start, 0 ), participant: host } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: minutes( c.start, 5 ), participant: customer } ),
			// The customer came back after the first leave (a reconnect): the same person twice.
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: minutes( c.start, 22 ), participant: customer } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.started', { at: minutes( c.start, 0 ) } ),
		];
		for ( const e of events ) {
			expect( ( await deliver( e ) ).status ).toBe( 200 );
			await drainAll( ctx.app );
		}
		const row = await c.row();
		expect( row ).toMatchObject( { status: 'completed', participant_count: 2 } );
		expect( new Date( `${ row.actual_start.replace( ' ', 'T' ) }Z` ) ).toEqual( c.start );
		const people = await participants( c.id );
		// The host's and the reconnect's stays were closed by the end; the first stay by its leave.
		expect( people.map( ( p ) => [ p.platform_participant_id, p.duration_seconds ] ) ).toEqual( [
			[ 'shuf-uuid', 15 * 60 ],
			[ 'host-2', 30 * 60 ],
			[ 'shuf-uuid', 8 * 60 ],
		] );
	} );

	it( 'marks a no-show when only the host came, and takes it back when the customer’s late-delivered join arrives', async () => {
		const c = await consultation( 'absent@example.test' );
		const host = { ...HOST, participant_uuid: 'host-3', id: c.meeting.host_id };
		for ( const e of [
			zoomMeetingEvent( c.meeting as never, 'meeting.started', { at: c.start } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: c.start, participant: host } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.ended', { at: minutes( c.start, 15 ) } ),
		] ) {
			await deliver( e );
		}
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'no_show', participant_count: 1 } );
		await deliver( zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: minutes( c.start, 10 ), participant: { user_name: 'Late', email: 'absent@example.test', participant_uuid: 'late-uuid' } } ) );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'completed', participant_count: 2 } );
	} );

	it( 'flags overtime when the meeting ends well after its slot', async () => {
		const c = await consultation( 'long@example.test' );
		const customer = { user_name: 'Long Talker', email: 'long@example.test', participant_uuid: 'long-uuid' };
		for ( const e of [
			zoomMeetingEvent( c.meeting as never, 'meeting.started', { at: c.start } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: c.start, participant: customer } ),
			zoomMeetingEvent( c.meeting as never, 'meeting.ended', { at: minutes( c.end, 20 ) } ),
		] ) {
			await deliver( e );
		}
		await drainAll( ctx.app );
		const row = await c.row();
		expect( row.status ).toBe( 'completed' );
		expect( JSON.parse( row.metadata ).overtime_minutes ).toBe( 20 );
	} );

	it( 'calls it a no-show when the customer has not come 15 minutes after the start, and tells WordPress once', async () => {
		const c = await consultation( 'noshow@example.test' );
		const host = { ...HOST, participant_uuid: 'host-4', id: c.meeting.host_id };
		await deliver( zoomMeetingEvent( c.meeting as never, 'meeting.started', { at: c.start } ) );
		await deliver( zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: c.start, participant: host } ) );
		const before = relay.events.length;
		try {
			ctx.clock.set( minutes( c.start, 14 ).toISOString() );
			await drainAll( ctx.app );
			expect( await c.row() ).toMatchObject( { status: 'in_progress' } );
			ctx.clock.set( minutes( c.start, 15 ).toISOString() );
			await drainAll( ctx.app );
			await drainAll( ctx.app );
			const row = await c.row();
			expect( row.status ).toBe( 'no_show' );
			expect( JSON.parse( row.metadata ).no_show ).toBe( 'customer' );
			// (Earlier consultations of this file whose slot has passed by this clock are checked too.)
			expect( relay.events.slice( before ).filter( ( e ) => e.consultationId === c.id ) ).toEqual( [
				expect.objectContaining( { event: 'no_show', consultationId: c.id, absent: 'customer', refund: false, scheduledStart: c.start.toISOString() } ),
			] );
			// The customer turns up at minute 18: the consultation is on after all.
			await deliver( zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: minutes( c.start, 18 ), participant: { user_name: 'Late', email: 'noshow@example.test', participant_uuid: 'late-4' } } ) );
			await drainAll( ctx.app );
			expect( await c.row() ).toMatchObject( { status: 'in_progress' } );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );

	it( 'tells WordPress when the provider did not come, with the refund suggested (refund_on_no_show)', async () => {
		const c = await consultation( 'waiting@example.test' );
		await deliver( zoomMeetingEvent( c.meeting as never, 'meeting.participant_joined', { at: c.start, participant: { user_name: 'Waiting', email: 'waiting@example.test', participant_uuid: 'wait-5' } } ) );
		const before = relay.events.length;
		try {
			ctx.clock.set( minutes( c.start, 16 ).toISOString() );
			await drainAll( ctx.app );
			await drainAll( ctx.app );
			const row = await c.row();
			// The customer is there: not a no-show of theirs.
			expect( row.status ).toBe( 'in_progress' );
			expect( JSON.parse( row.metadata ).no_show ).toBe( 'host' );
			expect( relay.events.slice( before ).filter( ( e ) => e.consultationId === c.id ) ).toEqual( [ expect.objectContaining( { event: 'no_show', absent: 'host', refund: true, bookingId: Number( row.booking_id ) } ) ] );
		} finally {
			ctx.clock.set( new Date().toISOString() );
		}
	} );
} );

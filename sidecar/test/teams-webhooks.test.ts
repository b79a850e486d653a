/**
 * Microsoft Teams change notifications (platform-contracts §2.5) against the Graph fake: the sweep
 * subscribes to the call events of meetings about to start (random clientState, stored hashed),
 * renews them before they expire and deletes them when the meeting is over or cancelled; Graph's
 * validation handshake is answered with the token as text/plain; notifications with a wrong
 * clientState are refused (401, nothing written); call started / roster / ended move the
 * consultation through the session tracker, once per delivery; lifecycle notifications
 * (reauthorizationRequired, subscriptionRemoved, missed) are handled; and a no-show is only called
 * when the meeting was watched from before its start.
 *
 * Graph reaches the sidecar here as it does in production: through a stand-in for the plugin's
 * public route (`/wp-json/bookingx/v1/video/teams/webhook`), which forwards the query string and the
 * raw bytes to `/webhooks/teams` and the answer back untouched.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startGraphFake, type GraphFake, type GraphSubscription } from '@bkx-video/platform-fakes';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SUBSCRIPTION_LIFETIME_MS } from '../src/services/teams-subscriptions';
import { ADMIN, PREFIX, bookingx, bookSlot, call, drainAll, setup, startMailRelay, type TestContext } from './helper';

const CREDS = { tenantId: 'tenant-wh', clientId: 'client-wh', clientSecret: 'graph-secret-wh-0123456789' };
const PROVIDER = { id: '7d0c6a2e-3333-4333-a333-0000000000cc', upn: 'provider@example.test', displayName: 'Dr. Tea' };
const ROUTE_PATH = '/wp-json/bookingx/v1/video/teams/webhook';

let graph: GraphFake;
let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startMailRelay > >;
let route: Awaited< ReturnType< typeof startWebhookRoute > >;
let bx: ReturnType< typeof bookingx >;
let ids: { provider: number; seat: number; video: number };

/**
 * Stands in for the plugin's public webhook route: forwards method, query string, Content-Type and
 * the raw bytes to the sidecar's `/webhooks/teams`, and serves its answer byte for byte.
 */
async function startWebhookRoute( app: () => FastifyInstance ) {
	const server: Server = createServer( ( req, res ) => {
		const chunks: Buffer[] = [];
		req.on( 'data', ( c: Buffer ) => chunks.push( c ) );
		req.on( 'end', () => {
			const url = new URL( req.url ?? '/', 'http://wp.invalid' );
			const body = Buffer.concat( chunks );
			app()
				.inject( {
					method: 'POST',
					url: `/webhooks/teams${ url.search }`,
					headers: body.length || req.headers[ 'content-type' ] ? { 'content-type': String( req.headers[ 'content-type' ] ?? 'application/json' ) } : {},
					payload: body,
				} )
				.then( ( answer ) => {
					res.writeHead( answer.statusCode, { 'content-type': String( answer.headers[ 'content-type' ] ?? 'application/json' ) } ).end( answer.rawPayload );
				} )
				.catch( () => res.writeHead( 503 ).end() );
		} );
	} );
	await new Promise< void >( ( resolve ) => server.listen( 0, '127.0.0.1', resolve ) );
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${ port }${ ROUTE_PATH }`,
		close: () => new Promise< void >( ( resolve ) => server.close( () => resolve() ) ),
	};
}

beforeAll( async () => {
	graph = await startGraphFake( { ...CREDS, users: [ PROVIDER ] } );
	relay = await startMailRelay();
	let app: FastifyInstance | null = null;
	route = await startWebhookRoute( () => app! );
	ctx = await setup( {
		env: {
			BKX_VIDEO_MAIL_RELAY_URL: relay.url,
			BKX_VIDEO_GRAPH_URL: graph.url,
			BKX_VIDEO_MS_LOGIN_URL: graph.loginBase,
			BKX_VIDEO_PLATFORM_TIMEOUT_SECONDS: '5',
			BKX_VIDEO_TEAMS_NOTIFICATION_URL: route.url,
		},
		clockStart: new Date().toISOString(),
	} );
	app = ctx.app;
	// Graph judges expiry times on its own clock: the same (test-moved) clock as the sidecar's.
	graph.setKnobs( { now: () => Math.floor( ctx.clock.now().getTime() / 1000 ) } );
	bx = bookingx( ctx.db.knex );
	const provider = await bx.user( 'provider', PROVIDER.upn, PROVIDER.displayName );
	ids = { provider, seat: await bx.seat( PROVIDER.displayName, provider ), video: await bx.service( 'Video consultation', true ) };
	const res = await call(
		ctx.app,
		ADMIN,
		'PUT',
		'/v1/settings',
		{
			zoom_enabled: false,
			teams_enabled: true,
			default_platform: 'teams',
			teams_tenant_id: CREDS.tenantId,
			teams_client_id: CREDS.clientId,
			teams_client_secret: CREDS.clientSecret,
		},
		ctx.clock.now()
	);
	expect( res.status ).toBe( 200 );
} );
afterAll( async () => {
	await ctx?.close();
	await route?.close();
	await relay?.close();
	await graph?.close();
} );

const minutes = ( base: Date, m: number ) => new Date( base.getTime() + m * 60_000 );
const at = ( when: Date ) => ctx.clock.set( when.toISOString() );
const subsTable = () => ctx.db.knex( `${ PREFIX }bkx_video_teams_subscriptions` );
const count = async ( table: string, where: Record< string, unknown > = {} ) => Number( ( await ctx.db.knex( `${ PREFIX }bkx_video_${ table }` ).where( where ).count( { n: '*' } ).first() )!.n );
const teamsWrites = async () => ( { events: await count( 'webhook_events', { platform: 'teams' } ), jobs: await count( 'jobs', { kind: 'webhook.teams' } ) } );
const participants = ( consultationId: number ) => ctx.db.knex( `${ PREFIX }bkx_video_participants` ).where( 'consultation_id', consultationId ).orderBy( 'id' );
const graphCalls = ( method: string, pathPart: string ) => graph.requests.filter( ( r ) => r.method === method && decodeURIComponent( r.path ).includes( pathPart ) );
/** The fake's subscriptions on this meeting's join URL. */
const subscriptionsOf = ( joinUrl: string ) => [ ...graph.subscriptions.values() ].filter( ( s ) => decodeURIComponent( s.resource ).includes( joinUrl ) );
/** A roster entry as Microsoft's example spells it (PascalCase). */
const person = ( legId: string, identity: Record< string, unknown > ) => ( { Id: legId, Identity: identity } );
const ORGANIZER = person( 'leg-host', { User: { Id: PROVIDER.id, DisplayName: PROVIDER.displayName, TenantId: CREDS.tenantId } } );
const guest = ( n: string, name: string ) => person( `leg-${ n }`, { Guest: { Id: `guest-${ n }`, DisplayName: name } } );

/** A booked Teams consultation `days` ahead (booked on the real clock). */
async function consultation( email: string, days: number, hour: number ) {
	at( new Date() );
	const bookingId = await bookSlot( ctx.app, bx, ids, email, days, hour );
	const row = await ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'booking_id', bookingId ).first();
	expect( row ).toMatchObject( { platform: 'teams', status: 'scheduled' } );
	const meetingId = String( row.meeting_id ).slice( String( row.meeting_id ).indexOf( ':' ) + 1 );
	return {
		id: Number( row.id ),
		bookingId,
		meetingId,
		joinUrl: String( row.join_url ),
		start: new Date( `${ String( row.scheduled_start ).replace( ' ', 'T' ) }Z` ),
		end: new Date( `${ String( row.scheduled_end ).replace( ' ', 'T' ) }Z` ),
		row: async () => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).where( 'id', row.id ).first(),
		sub: async () => subsTable().where( 'consultation_id', row.id ).first(),
	};
}

/** Subscribes the consultation's meeting: a sweep `lead` minutes before its start. */
async function subscribed( c: Awaited< ReturnType< typeof consultation > >, lead = 25 ): Promise< GraphSubscription > {
	at( minutes( c.start, -lead ) );
	await ctx.app.services.teamsSubscriptions.sweep();
	const subs = subscriptionsOf( c.joinUrl );
	expect( subs ).toHaveLength( 1 );
	return subs[ 0 ]!;
}

/** Posts to the plugin route as Graph does. */
async function post( body: string, query = '' ) {
	const res = await fetch( `${ route.url }${ query }`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body } );
	return { status: res.status, type: res.headers.get( 'content-type' ) ?? '', text: await res.text() };
}

describe( 'the Teams webhook route', () => {
	it( 'answers Graph’s validation handshake with the decoded token as text/plain', async () => {
		const token = 'Validation: Testing client application reachability for subscription Request-Id: 1b2c+3d/4e?5&6';
		const res = await fetch( `${ route.url }?validationToken=${ encodeURIComponent( token ) }`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' } );
		expect( res.status ).toBe( 200 );
		expect( res.headers.get( 'content-type' ) ).toMatch( /^text\/plain/ );
		expect( await res.text() ).toBe( token );
		// An empty or oversized token is a bad request, not an echo.
		expect( ( await fetch( `${ route.url }?validationToken=${ 'x'.repeat( 3000 ) }`, { method: 'POST' } ) ).status ).toBe( 400 );
	} );

	it( 'subscribes a meeting that starts within 30 minutes, with a random clientState kept only as its hash', async () => {
		const c = await consultation( 'sub@example.test', 2, 9 );
		const later = await consultation( 'later@example.test', 2, 13 );
		const sub = await subscribed( c );
		// Graph validated both URLs (the plugin route) before answering 201.
		const validations = graph.validations.slice( -2 );
		expect( validations.map( ( v ) => [ v.url, v.ok, v.contentType?.startsWith( 'text/plain' ) ] ) ).toEqual( [
			[ route.url, true, true ],
			[ route.url, true, true ],
		] );
		expect( sub ).toMatchObject( {
			changeType: 'updated',
			notificationUrl: route.url,
			lifecycleNotificationUrl: route.url,
			resource: `/communications/onlineMeetings/?$filter=JoinWebUrl eq '${ encodeURIComponent( c.joinUrl ) }'`,
		} );
		const lifetime = Date.parse( sub.expirationDateTime ) - ctx.clock.now().getTime();
		expect( lifetime ).toBeLessThanOrEqual( 60 * 60_000 );
		expect( lifetime ).toBeGreaterThan( 50 * 60_000 );
		expect( sub.clientState ).toMatch( /^[\w-]{40,128}$/ );
		const row = await c.sub();
		expect( row ).toMatchObject( { subscription_id: sub.id, state: 'active', coverage_gap: 0, client_state_hash: createHash( 'sha256' ).update( sub.clientState! ).digest( 'hex' ) } );
		expect( JSON.stringify( await subsTable().select() ) ).not.toContain( sub.clientState );
		// Three hours ahead: not yet.
		expect( subscriptionsOf( later.joinUrl ) ).toHaveLength( 0 );
		// The next sweep leaves a young subscription alone.
		const before = graph.requests.length;
		await ctx.app.services.teamsSubscriptions.sweep();
		expect( graph.requests.slice( before ).filter( ( r ) => r.path.includes( '/subscriptions' ) ) ).toEqual( [] );
	} );

	it( 'refuses notifications with a wrong or unknown clientState with 401 and writes nothing; a malformed body is 400', async () => {
		const c = await consultation( 'forged@example.test', 3, 9 );
		const sub = await subscribed( c );
		const before = await teamsWrites();
		// A genuine delivery first, for contrast.
		const genuineDelivery = await graph.notifyCallEvent( c.meetingId, 'CallStarted' );
		expect( genuineDelivery[ 0 ]!.attempts.map( ( a ) => a.status ) ).toEqual( [ 202 ] );
		await drainAll( ctx.app );
		const genuine = await teamsWrites();
		expect( genuine ).toEqual( { events: before.events + 1, jobs: before.jobs + 1 } );

		const wrong = await graph.notify( sub.id, [ { clientState: 'not-the-secret' } ] );
		expect( wrong.attempts.map( ( a ) => a.status ) ).toEqual( [ 401 ] );
		const unknown = await post( JSON.stringify( { value: [ { subscriptionId: 'no-such-subscription', clientState: sub.clientState, changeType: 'updated' } ] } ) );
		expect( unknown.status ).toBe( 401 );
		expect( JSON.parse( unknown.text ) ).toMatchObject( { code: 'webhook_signature_invalid', data: { status: 401 } } );
		const missing = await post( JSON.stringify( { value: [ { subscriptionId: sub.id, changeType: 'updated' } ] } ) );
		expect( missing.status ).toBe( 401 );
		for ( const bad of [ '{"value": [', '{"value": []}', '{"items": []}', '{"value": [{"clientState": "x"}]}' ] ) {
			const res = await post( bad );
			expect( res.status ).toBe( 400 );
			expect( JSON.parse( res.text ) ).toMatchObject( { code: 'invalid_request' } );
		}
		expect( await teamsWrites() ).toEqual( genuine );
		// A batch mixing a forged item with a genuine one: only the genuine one is taken.
		const mixed = await graph.notify( sub.id, [ { clientState: 'forged' }, {} ] );
		expect( mixed.attempts.map( ( a ) => a.status ) ).toEqual( [ 202 ] );
		expect( await teamsWrites() ).toEqual( { events: genuine.events + 1, jobs: genuine.jobs + 1 } );
		await drainAll( ctx.app );
	} );
} );

describe( 'a Teams consultation’s session from Graph’s call events', () => {
	it( 'goes in progress, records who joined and left, completes, and applies a duplicate delivery once', async () => {
		const c = await consultation( 'cara@example.test', 4, 9 );
		const sub = await subscribed( c );
		at( minutes( c.start, -2 ) );
		await graph.notifyCallEvent( c.meetingId, 'CallStarted' );
		await graph.notifyCallEvent( c.meetingId, 'CallRosterUpdate', { joined: [ ORGANIZER ] } );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'in_progress' } );
		at( minutes( c.start, 1 ) );
		const join = await graph.notifyCallEvent( c.meetingId, 'CallRosterUpdate', { joined: [ guest( '1', 'Cara Customer' ) ] } );
		at( minutes( c.start, 25 ) );
		await graph.notifyCallEvent( c.meetingId, 'CallRosterUpdate', { exited: [ guest( '1', 'Cara Customer' ) ] } );
		// Graph delivers the customer's join again (it did not see our answer): same bytes.
		const writes = await teamsWrites();
		const again = await post( join[ 0 ]!.body );
		expect( again.status ).toBe( 202 );
		expect( JSON.parse( again.text ) ).toEqual( { received: 0, duplicates: 1 } );
		expect( await teamsWrites() ).toEqual( writes );
		at( minutes( c.start, 26 ) );
		await graph.notifyCallEvent( c.meetingId, 'CallEnded' );
		await drainAll( ctx.app );

		const row = await c.row();
		expect( row ).toMatchObject( { status: 'completed', participant_count: 2 } );
		expect( new Date( `${ row.actual_start.replace( ' ', 'T' ) }Z` ) ).toEqual( minutes( c.start, -2 ) );
		expect( new Date( `${ row.actual_end.replace( ' ', 'T' ) }Z` ) ).toEqual( minutes( c.start, 26 ) );
		const people = await participants( c.id );
		expect( people.map( ( p ) => [ p.name, p.role, p.platform_participant_id, p.duration_seconds ] ) ).toEqual( [
			[ PROVIDER.displayName, 'host', PROVIDER.id, 28 * 60 ],
			[ 'Cara Customer', 'guest', 'guest-1', 24 * 60 ],
		] );
		// The meeting is over: its subscription is deleted at once (not at the next sweep).
		expect( graphCalls( 'DELETE', `/subscriptions/${ sub.id }` ).map( ( r ) => r.status ) ).toEqual( [ 204 ] );
		expect( graph.subscriptions.has( sub.id ) ).toBe( false );
		expect( await c.sub() ).toMatchObject( { state: 'ended', subscription_id: null, client_state_hash: null } );
		// A late delivery on the deleted subscription is refused.
		expect( ( await post( join[ 0 ]!.body ) ).status ).toBe( 401 );
	} );

	it( 'recognises the customer by the e-mail (UPN) Graph gives for a signed-in account', async () => {
		const c = await consultation( 'signed.in@example.test', 4, 13 );
		await subscribed( c );
		at( c.start );
		const customer = person( 'leg-c', { User: { Id: 'aad-customer-1', DisplayName: 'Signed In', UserPrincipalName: 'Signed.In@example.test' } } );
		await graph.notifyCallEvent( c.meetingId, 'CallRosterUpdate', { joined: [ ORGANIZER, customer ] } );
		await drainAll( ctx.app );
		expect( ( await participants( c.id ) ).map( ( p ) => [ p.name, p.role, p.email ] ) ).toEqual( [
			[ PROVIDER.displayName, 'host', null ],
			[ 'Signed In', 'participant', 'Signed.In@example.test' ],
		] );
		expect( await c.row() ).toMatchObject( { status: 'in_progress', participant_count: 2 } );
	} );

	it( 'calls a watched meeting a no-show when only the provider came', async () => {
		const c = await consultation( 'absent@example.test', 5, 9 );
		await subscribed( c );
		at( c.start );
		await graph.notifyCallEvent( c.meetingId, 'CallStarted' );
		await graph.notifyCallEvent( c.meetingId, 'CallRosterUpdate', { joined: [ ORGANIZER ] } );
		at( minutes( c.start, 15 ) );
		await drainAll( ctx.app );
		await drainAll( ctx.app );
		const row = await c.row();
		expect( row.status ).toBe( 'no_show' );
		expect( JSON.parse( row.metadata ).no_show ).toBe( 'customer' );
	} );

	it( 'never calls a no-show for a meeting it began watching too late', async () => {
		const c = await consultation( 'late-watch@example.test', 6, 9 );
		// Subscribed 5 minutes before the start (the sidecar was down): joins before may be missed.
		await subscribed( c, 5 );
		at( c.start );
		await graph.notifyCallEvent( c.meetingId, 'CallRosterUpdate', { joined: [ ORGANIZER ] } );
		at( minutes( c.start, 16 ) );
		await drainAll( ctx.app );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'in_progress' } );
		expect( JSON.parse( ( await c.row() ).metadata ).no_show ).toBeUndefined();
		at( minutes( c.start, 20 ) );
		await graph.notifyCallEvent( c.meetingId, 'CallEnded' );
		await drainAll( ctx.app );
		// Nobody else seen, but we might have missed them: completed, not a no-show.
		expect( await c.row() ).toMatchObject( { status: 'completed' } );
	} );
} );

describe( 'subscription upkeep', () => {
	it( 'renews a subscription before it expires, while the meeting may run', async () => {
		const c = await consultation( 'renew@example.test', 7, 9 );
		const sub = await subscribed( c );
		const first = Date.parse( sub.expirationDateTime );
		at( minutes( c.start, 10 ) ); // 20 minutes left
		await ctx.app.services.teamsSubscriptions.sweep();
		expect( graphCalls( 'PATCH', `/subscriptions/${ sub.id }` ) ).toHaveLength( 0 );
		at( minutes( c.start, 15 ) ); // 15 minutes left
		await ctx.app.services.teamsSubscriptions.sweep();
		const patches = graphCalls( 'PATCH', `/subscriptions/${ sub.id }` );
		expect( patches.map( ( r ) => r.status ) ).toEqual( [ 200 ] );
		const renewed = Date.parse( graph.subscriptions.get( sub.id )!.expirationDateTime );
		expect( renewed ).toBe( ctx.clock.now().getTime() + SUBSCRIPTION_LIFETIME_MS );
		expect( renewed ).toBeGreaterThan( first );
		const row = await c.sub();
		expect( new Date( `${ row.expires_at.replace( ' ', 'T' ) }Z` ).getTime() ).toBe( renewed );
		expect( row.subscription_id ).toBe( sub.id );
		// The slot is long over and the meeting never started: the subscription goes.
		at( minutes( c.end, 31 ) );
		await ctx.app.services.teamsSubscriptions.sweep();
		expect( graph.subscriptions.has( sub.id ) ).toBe( false );
		expect( await c.sub() ).toMatchObject( { state: 'ended' } );
	} );

	it( 'reauthorizes on reauthorizationRequired', async () => {
		const c = await consultation( 'reauth@example.test', 8, 9 );
		const sub = await subscribed( c );
		const delivery = await graph.lifecycle( sub.id, 'reauthorizationRequired' );
		expect( delivery.attempts.map( ( a ) => a.status ) ).toEqual( [ 202 ] );
		await drainAll( ctx.app );
		expect( graphCalls( 'POST', `/subscriptions/${ sub.id }/reauthorize` ).map( ( r ) => r.status ) ).toEqual( [ 204 ] );
		expect( await c.sub() ).toMatchObject( { subscription_id: sub.id, state: 'active', coverage_gap: 0 } );
	} );

	it( 'subscribes again when Graph removed the subscription, and refuses the old one’s notifications', async () => {
		const c = await consultation( 'removed@example.test', 9, 9 );
		const sub = await subscribed( c );
		at( minutes( c.start, -20 ) );
		const delivery = await graph.lifecycle( sub.id, 'subscriptionRemoved' );
		expect( delivery.attempts.map( ( a ) => a.status ) ).toEqual( [ 202 ] );
		await drainAll( ctx.app );
		const now = subscriptionsOf( c.joinUrl );
		expect( now ).toHaveLength( 1 );
		expect( now[ 0 ]!.id ).not.toBe( sub.id );
		expect( now[ 0 ]!.clientState ).not.toBe( sub.clientState );
		// Before the meeting could start nothing was lost: still watched from the new subscription on.
		expect( await c.sub() ).toMatchObject( { subscription_id: now[ 0 ]!.id, state: 'active', coverage_gap: 0 } );
		const old = await post( JSON.stringify( { value: [ { subscriptionId: sub.id, clientState: sub.clientState, changeType: 'updated', resourceData: { eventType: 'Microsoft.Communication.CallStarted' } } ] } ) );
		expect( old.status ).toBe( 401 );

		// Removed while the meeting runs: subscribed again, but its attendance is no longer known.
		at( minutes( c.start, 5 ) );
		await graph.lifecycle( now[ 0 ]!.id, 'subscriptionRemoved' );
		await drainAll( ctx.app );
		expect( subscriptionsOf( c.joinUrl ) ).toHaveLength( 1 );
		expect( await c.sub() ).toMatchObject( { state: 'active', coverage_gap: 1 } );
	} );

	it( 'notes missed notifications (attendance not known) and re-reads the subscription', async () => {
		const c = await consultation( 'missed@example.test', 10, 9 );
		const sub = await subscribed( c );
		at( c.start );
		const delivery = await graph.lifecycle( sub.id, 'missed' );
		expect( delivery.attempts.map( ( a ) => a.status ) ).toEqual( [ 202 ] );
		await drainAll( ctx.app );
		expect( graphCalls( 'GET', `/subscriptions/${ sub.id }` ).map( ( r ) => r.status ) ).toEqual( [ 200 ] );
		expect( await c.sub() ).toMatchObject( { subscription_id: sub.id, state: 'active', coverage_gap: 1 } );
		// Nobody seen by the no-show check: not a no-show, since events may have been lost.
		at( minutes( c.start, 16 ) );
		await drainAll( ctx.app );
		expect( ( await c.row() ).status ).toBe( 'scheduled' );
	} );

	it( 'deletes the subscription when the consultation is cancelled', async () => {
		const c = await consultation( 'cancel@example.test', 11, 9 );
		const sub = await subscribed( c );
		await bx.setStatus( c.bookingId, 'bkx-cancelled' );
		await bx.event( c.bookingId, 'booking.status' );
		await drainAll( ctx.app );
		expect( await c.row() ).toMatchObject( { status: 'cancelled' } );
		await ctx.app.services.teamsSubscriptions.sweep();
		expect( graphCalls( 'DELETE', `/subscriptions/${ sub.id }` ).map( ( r ) => r.status ) ).toEqual( [ 204 ] );
		expect( graph.subscriptions.has( sub.id ) ).toBe( false );
		expect( await c.sub() ).toMatchObject( { state: 'ended', subscription_id: null } );
	} );

	it( 'runs the sweep as a periodic job, once per 5-minute slot however many times it is queued', async () => {
		const c = await consultation( 'job@example.test', 12, 9 );
		at( minutes( c.start, -20 ) );
		// Two instances' timers in the same slot queue one job.
		await ctx.app.workers.queuePeriodicJobs();
		await ctx.app.workers.queuePeriodicJobs();
		await drainAll( ctx.app );
		expect( subscriptionsOf( c.joinUrl ) ).toHaveLength( 1 );
		const slot = Math.floor( ctx.clock.now().getTime() / 300_000 ) * 300_000;
		const jobs = await ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'kind', 'teams.subscriptions' ).andWhere( 'idempotency_key', 'like', 'teams.subscriptions:20%' );
		expect( jobs.map( ( j ) => [ j.idempotency_key, j.status ] ) ).toEqual( [ [ `teams.subscriptions:${ new Date( slot ).toISOString() }`, 'done' ] ] );
		// The next slot gets its own run.
		at( minutes( c.start, -14 ) );
		await ctx.app.workers.queuePeriodicJobs();
		await drainAll( ctx.app );
		const next = await ctx.db.knex( `${ PREFIX }bkx_video_jobs` ).where( 'idempotency_key', `teams.subscriptions:${ new Date( slot + 300_000 ).toISOString() }` ).first();
		expect( next?.status ).toBe( 'done' );
	} );
} );

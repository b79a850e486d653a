/**
 * Integration health (issue 4): when Zoom stops accepting our credentials (the admin rotated the
 * client secret on Zoom), bookings fail over to Jitsi, the admin gets one e-mail and a WordPress
 * notice listing the affected consultations — not one per booking — and once the new secret is
 * saved the probe sees it work, the consultations that could not be updated are repaired and the
 * notice goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN, JITSI_FALLBACK, PREFIX, bookingx, bookSlot, call, drainAll, localSlot, startZoomSite, type TestContext } from './helper';

type ZoomFake = Awaited< ReturnType< typeof startZoomSite > >[ 'zoom' ];

let zoom: ZoomFake;
let ctx: TestContext;
let relay: Awaited< ReturnType< typeof startZoomSite > >[ 'relay' ];
let bx: ReturnType< typeof bookingx >;
let ids: { seat: number; video: number };
let site: Awaited< ReturnType< typeof startZoomSite > >;

const CREDS = { accountId: 'acct-health', clientId: 'client-health', clientSecret: 'secret-before-0123456789' };
const ROTATED = 'secret-after-9876543210';

beforeAll( async () => {
	site = await startZoomSite( { creds: CREDS, provider: 'Dr. Zed', settings: { ...JITSI_FALLBACK } } );
	( { zoom, ctx, relay, bx, ids } = site );
	await ctx.db.knex( `${ PREFIX }options` ).insert( { option_name: 'admin_email', option_value: 'owner@clinic.example.test' } );
} );
afterAll( async () => {
	await site?.close();
} );

const rowOf = async ( bookingId: number ) => ctx.db.knex( `${ PREFIX }bkx_video_consultations` ).first().where( 'booking_id', bookingId );
const drain = () => drainAll( ctx.app );
const slot = ( days: number, hour: number ) => localSlot( days, hour );
const book = ( email: string, days: number, hour: number ) => bookSlot( ctx.app, bx, ids, email, days, hour );
const healthMails = () => relay.mails.filter( ( m ) => ( m.to as string[] ).includes( 'owner@clinic.example.test' ) ) as Array< { subject: string; text: string } >;
const status = async () => ( await call( ctx.app, ADMIN, 'GET', '/v1/status', undefined, ctx.clock.now() ) ).json as { platform_health: Array< Record< string, any > > };

describe( 'integration health', () => {
	let onZoom: number;
	const failedOver: number[] = [];

	it( 'tells the admin once, lists the affected consultations and keeps bookings served', async () => {
		onZoom = await book( 'first@example.test', 5, 10 );
		expect( await rowOf( onZoom ) ).toMatchObject( { platform: 'zoom', status: 'scheduled' } );
		expect( ( await status() ).platform_health ).toEqual( [] );

		// The admin rotates the client secret on Zoom: our token dies and a new one is refused.
		zoom.setKnobs( { clientSecret: ROTATED } );
		zoom.revokeTokens();

		for ( const [ i, email ] of [ 'a@example.test', 'b@example.test', 'c@example.test' ].entries() ) {
			const id = await book( email, 6, 9 + i );
			failedOver.push( id );
			const row = await rowOf( id );
			expect( row ).toMatchObject( { platform: 'jitsi', status: 'scheduled' } );
			expect( JSON.parse( row.metadata ).platform_failures[ 0 ] ).toMatchObject( { platform: 'zoom', reason: expect.stringContaining( 'client secret' ) } );
		}
		// The Zoom booking is rescheduled: Zoom cannot be told, so it stays marked until it can.
		await bx.setMeta( onZoom, 'booking_start_date', slot( 7, 14 ).start );
		await bx.setMeta( onZoom, 'booking_end_date', slot( 7, 14 ).end );
		await bx.event( onZoom, 'booking.saved' );
		await drain();
		const stuck = await rowOf( onZoom );
		expect( stuck.platform ).toBe( 'zoom' );
		expect( stuck.sync_error ).toMatch( /^zoom: .*client secret/ );

		// One e-mail for the episode, not one per booking.
		expect( healthMails() ).toHaveLength( 1 );
		const mail = healthMails()[ 0 ]!;
		expect( mail.subject ).toBe( 'Zoom stopped working for your video consultations' );
		expect( mail.text ).toContain( 'client secret' );
		expect( mail.text ).toContain( '/wp-admin/admin.php?page=bkx-video' );
		expect( mail.text ).not.toContain( CREDS.clientSecret );

		// The admin screen lists every affected consultation; WordPress got the notice.
		const [ zoomHealth ] = ( await status() ).platform_health;
		expect( zoomHealth ).toMatchObject( { platform: 'zoom', label: 'Zoom', status: 'failing', affected_count: 4 } );
		expect( zoomHealth!.message ).toContain( 'client secret' );
		expect( zoomHealth!.affected.map( ( a: { booking_id: number } ) => a.booking_id ).sort() ).toEqual( [ onZoom, ...failedOver ].sort() );
		expect( zoomHealth!.affected.find( ( a: { booking_id: number } ) => a.booking_id === failedOver[ 0 ] ) ).toMatchObject( { served_by: 'jitsi' } );
		const pushed = relay.health.at( -1 )!;
		expect( pushed.platforms ).toHaveLength( 1 );
		expect( pushed.platforms[ 0 ] ).toMatchObject( { platform: 'zoom', status: 'failing' } );
		expect( JSON.stringify( relay.health ) ).not.toContain( CREDS.clientSecret );

		// The status panel lists each booking served elsewhere, with Zoom's reason.
		const { failovers } = ( await status() ) as unknown as { failovers: Array< { booking_id: number; served_by: string; failures: Array< { platform: string; reason: string } > } > };
		expect( failovers.map( ( f ) => f.booking_id ).sort() ).toEqual( [ ...failedOver ].sort() );
		expect( failovers[ 0 ] ).toMatchObject( { served_by: 'jitsi', failures: [ { platform: 'zoom', reason: expect.stringMatching( /^unauthorized: .*client secret/ ) } ] } );

		// More refusals in the same episode send nothing more.
		await book( 'd@example.test', 6, 14 );
		expect( healthMails() ).toHaveLength( 1 );
	} );

	it( 'probes again later while the credentials still fail, without mailing again', async () => {
		const tokenCalls = () => zoom.requests.filter( ( r ) => r.path.startsWith( '/oauth/token' ) ).length;
		const before = tokenCalls();
		ctx.clock.advance( 6 * 60_000 );
		await ctx.app.workers.runDueJobs();
		expect( tokenCalls() ).toBeGreaterThan( before );
		expect( ( await status() ).platform_health[ 0 ] ).toMatchObject( { status: 'failing', last_probe_at: expect.any( String ) } );
		expect( healthMails() ).toHaveLength( 1 );
	} );

	it( 'repairs the affected consultations and clears the notice once the new secret is saved', async () => {
		const res = await call( ctx.app, ADMIN, 'PUT', '/v1/settings', { zoom_client_secret: ROTATED }, ctx.clock.now() );
		expect( res.status ).toBe( 200 );
		await ctx.app.workers.runDueJobs();
		await ctx.app.workers.runDueJobs();

		// The meeting that could not be moved is moved now, without waiting for the outbox backoff.
		const repaired = await rowOf( onZoom );
		expect( repaired ).toMatchObject( { platform: 'zoom', status: 'scheduled', sync_error: null } );
		expect( JSON.parse( repaired.metadata ).credentials_failed_on ).toBeUndefined();
		const onFake = zoom.meetings.get( repaired.meeting_id ) ?? zoom.meetings.get( Number( repaired.meeting_id ) as never );
		expect( new Date( onFake!.start_time as string ).toISOString() ).toBe( new Date( repaired.scheduled_start.replace( ' ', 'T' ) + 'Z' ).toISOString() );

		// Bookings served by Jitsi meanwhile keep working there.
		expect( await rowOf( failedOver[ 0 ]! ) ).toMatchObject( { platform: 'jitsi', status: 'scheduled' } );
		expect( ( await status() ).platform_health ).toEqual( [] );
		expect( relay.health.at( -1 )!.platforms ).toEqual( [] );
		expect( healthMails() ).toHaveLength( 1 );

		// New bookings go to Zoom again.
		const next = await book( 'e@example.test', 8, 10 );
		expect( await rowOf( next ) ).toMatchObject( { platform: 'zoom', status: 'scheduled' } );
	} );
} );

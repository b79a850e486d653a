/**
 * `pnpm demo`: the product running offline on this machine — WordPress with the BookingX stand-in
 * and our plugin, the sidecar, and local fakes of Jitsi, Zoom, Microsoft Graph and Google — with
 * sample bookings. Prints the URL, the logins, the customers' invitation links and the fakes'
 * credentials (to try the setup wizard); Ctrl-C stops everything and drops the database.
 */
import { startGoogleFake } from '@bkx-video/platform-fakes';

import { GRAPH_E2E, ZOOM_E2E, invitationLink, siteLocal, startStack } from './stack';

const SITE_PORT = Number( process.env.BKX_DEMO_PORT ?? 8881 );
const SIDECAR_PORT = Number( process.env.BKX_DEMO_SIDECAR_PORT ?? 8787 );
const TZ = process.env.BKX_DEMO_TIMEZONE ?? 'Europe/Berlin';

const GOOGLE = { clientId: 'demo-google-client.apps.googleusercontent.com', clientSecret: 'demo-google-secret-0123456789', user: { email: 'owner@example.test', sub: '109876543210000000042' } };
const google = await startGoogleFake( GOOGLE );
const stack = await startStack( {
	timezone: TZ,
	sitePort: SITE_PORT,
	sidecarPort: SIDECAR_PORT,
	zoom: true,
	graph: true,
	sidecarEnv: {
		BKX_VIDEO_LOG_LEVEL: 'info',
		BKX_VIDEO_GOOGLE_OAUTH_URL: google.authUrl,
		BKX_VIDEO_GOOGLE_TOKEN_URL: google.tokenUrl,
		BKX_VIDEO_GOOGLE_REVOKE_URL: google.revokeUrl,
		BKX_VIDEO_GOOGLE_CALENDAR_URL: google.calendarBase,
	},
} );
const { site } = stack;
// Google's consent page (the fake) sends the admin back to the setup wizard.
google.setKnobs( { redirectUris: [ `${ site.url }/wp-admin/admin.php?page=bkx-video&bkx_video_oauth=meet` ] } );
const now = Date.now();
const samples = [
	{ label: 'open now', start: new Date( now + 5 * 60_000 ), customer: { first_name: 'Olivia', last_name: 'Open', email: 'olivia@example.test', phone: '555-0101' } },
	{ label: 'tomorrow', start: new Date( now + 24 * 3600_000 ), customer: { first_name: 'Theo', last_name: 'Tomorrow', email: 'theo@example.test', phone: '555-0102' } },
	{ label: 'ended', start: new Date( now + 48 * 3600_000 ), customer: { first_name: 'Elena', last_name: 'Earlier', email: 'elena@example.test', phone: '555-0103' } },
];
const ids: number[] = [];
for ( const sample of samples ) {
	ids.push(
		await site.bookings.create( {
			serviceId: site.fixtures.videoServiceId,
			seatId: site.fixtures.seatId,
			start: siteLocal( sample.start, TZ ),
			customer: sample.customer,
		} )
	);
}
// "ended": booked ahead (so it got a meeting and an invitation), then moved into the past.
await stack.settle();
await site.bookings.reschedule( ids[ 2 ]!, { start: siteLocal( new Date( now - 3 * 3600_000 ), TZ ) } );
// The logged-in customer's own booking (same e-mail as the WordPress user "customer").
await site.bookings.create( {
	serviceId: site.fixtures.videoServiceId,
	seatId: site.fixtures.seatId,
	start: siteLocal( new Date( now + 2 * 60_000 ), TZ ),
	customer: { first_name: 'Casey', last_name: 'Customer', email: site.users.customer.email, phone: '555-0104' },
	as: 'customer',
} );
await stack.settle();

const lines = [
	'',
	'BookingX Video Consultation demo is running (offline: Jitsi, Zoom, Teams and Google are local fakes).',
	'',
	`  Site:        ${ site.url }/`,
	`  Join page:   ${ site.url }/video-consultation/`,
	`  Admin:       ${ site.url }/wp-admin/admin.php?page=bkx-video`,
	`  Sidecar:     ${ stack.sidecar.url } (health: ${ stack.sidecar.url }/healthz)`,
	`  Jitsi fake:  ${ stack.jitsi.url }`,
	'',
	'  Logins (user / password):',
	...( [ 'admin', 'provider', 'manager', 'customer' ] as const ).map( ( r ) => `    ${ r.padEnd( 9 ) } ${ site.users[ r ].login } / ${ site.users[ r ].password }` ),
	'',
	'  Invitation links (guest customers, as e-mailed):',
	...samples.map( ( s ) => `    ${ s.label.padEnd( 9 ) } ${ invitationLink( site, s.customer.email ) }` ),
	'',
	'  Try the setup wizard (Admin → Video Consultations → Setup wizard) with these fake accounts:',
	`    Zoom:    account ID ${ ZOOM_E2E.accountId }, client ID ${ ZOOM_E2E.clientId }, client secret ${ ZOOM_E2E.clientSecret }, host user ${ ZOOM_E2E.user }`,
	`    Teams:   tenant ID ${ GRAPH_E2E.tenantId }, client ID ${ GRAPH_E2E.clientId }, client secret ${ GRAPH_E2E.clientSecret }, organizer ${ GRAPH_E2E.provider.upn }`,
	`    Google:  client ID ${ GOOGLE.clientId }, client secret ${ GOOGLE.clientSecret } (then "Connect Google account")`,
	'',
	'  Press Ctrl-C to stop; everything is removed (processes, database, files).',
	'',
];
process.stdout.write( lines.join( '\n' ) );

let stopping = false;
const stop = async () => {
	if ( stopping ) {
		return;
	}
	stopping = true;
	process.stdout.write( '\nStopping the demo…\n' );
	await stack.stop();
	await google.close();
	process.exit( 0 );
};
process.on( 'SIGINT', () => void stop() );
process.on( 'SIGTERM', () => void stop() );
await new Promise( () => undefined );

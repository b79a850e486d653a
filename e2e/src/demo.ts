/**
 * `pnpm demo`: the product running offline on this machine — WordPress with the BookingX stand-in
 * and our plugin, the sidecar, and the Jitsi fake — with sample bookings. Prints the URL, the
 * logins and the customers' invitation links; Ctrl-C stops everything and drops the database.
 */
import { invitationLink, siteLocal, startStack } from './stack';

const SITE_PORT = Number( process.env.BKX_DEMO_PORT ?? 8881 );
const SIDECAR_PORT = Number( process.env.BKX_DEMO_SIDECAR_PORT ?? 8787 );
const TZ = process.env.BKX_DEMO_TIMEZONE ?? 'Europe/Berlin';

const stack = await startStack( { timezone: TZ, sitePort: SITE_PORT, sidecarPort: SIDECAR_PORT, sidecarEnv: { BKX_VIDEO_LOG_LEVEL: 'info' } } );
const { site } = stack;
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
	'BookingX Video Consultation demo is running (offline: Jitsi is a local fake).',
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
	process.exit( 0 );
};
process.on( 'SIGINT', () => void stop() );
process.on( 'SIGTERM', () => void stop() );
await new Promise( () => undefined );

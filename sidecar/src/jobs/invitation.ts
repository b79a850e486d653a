/**
 * `mail.invitation`: the customer's invitation with their personal join link.
 */
import { DateTime } from 'luxon';

import { deriveAccessToken } from '../crypto';
import type { BookingsRepository } from '../repositories/bookings-repository';
import type { ConsultationsRepository } from '../repositories/consultations-repository';
import type { Mailer } from '../services/mailer';
import type { SettingsService } from '../services/settings-service';

interface Deps {
	consultations: ConsultationsRepository;
	bookings: BookingsRepository;
	settings: SettingsService;
	mailer: Mailer;
	secret: string;
	siteUrl: string;
}

const escapeHtml = ( s: string ) =>
	s.replace( /[&<>"']/g, ( c ) => ( { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } )[ c ] as string );

export function joinLink( siteUrl: string, path: string, token: string ): string {
	return `${ siteUrl }${ path.startsWith( '/' ) ? path : `/${ path }` }?bkx_vc=${ encodeURIComponent( token ) }`;
}

export function createInvitationJob( deps: Deps ) {
	return async ( payload: { consultationId: number; accessVersion: number }, idempotencyKey: string ): Promise< void > => {
		const c = await deps.consultations.findById( payload.consultationId, { fresh: true } );
		// A newer version (reschedule of a cancelled booking) has its own job; a closed one needs none.
		if ( ! c || c.accessVersion !== payload.accessVersion || ! c.customerEmail || c.status === 'cancelled' ) {
			return;
		}
		const settings = await deps.settings.get();
		const zone = await deps.bookings.siteTimezone();
		const service = ( await deps.bookings.getService( c.serviceId ) )?.title ?? 'Video consultation';
		const when = DateTime.fromJSDate( c.scheduledStart ).setZone( zone ).toFormat( "cccc d LLLL yyyy, HH:mm ZZZZ" );
		const link = joinLink( deps.siteUrl, settings.join_page_path, deriveAccessToken( deps.secret, c.id, c.accessVersion ) );
		const name = c.customerName ?? '';
		await deps.mailer.send( {
			to: [ c.customerEmail ],
			subject: `Your video consultation: ${ service }, ${ when }`,
			text: `Hello ${ name },\n\nYour video consultation "${ service }" is booked for ${ when }.\n\nJoin here when it opens: ${ link }\n\nThe join page shows the time in your own timezone.\n`,
			html:
				`<p>Hello ${ escapeHtml( name ) },</p>` +
				`<p>Your video consultation <strong>${ escapeHtml( service ) }</strong> is booked for ${ escapeHtml( when ) }.</p>` +
				`<p><a href="${ escapeHtml( link ) }">Join your consultation</a></p>` +
				'<p>The join page shows the time in your own timezone.</p>',
			idempotency_key: idempotencyKey,
		} );
	};
}

/**
 * "Add to calendar" on the Join block: an `.ics` file (METHOD:PUBLISH) and Google/Outlook links for
 * the consultation the viewer may see (reference §6.2). The entry carries the viewer's own join
 * page link — the personal one when they came with their invitation token — and never a platform
 * URL or passcode; its UID is the invitation's, so calendars merge the two.
 */
import type { CalendarEntry, IdentityClaims } from '@bkx-video/contracts';

import { AppError } from '../errors';
import { joinLink } from '../jobs/consultation-mail';
import type { ConsultationsRepository } from '../repositories/consultations-repository';
import { addToCalendarLinks, buildInvite } from './calendar';
import type { ConsultationsService } from './consultations-service';
import type { SettingsService } from './settings-service';
import type { BookingsRepository } from '../repositories/bookings-repository';

export function createCalendarEntries( deps: {
	consultationsService: ConsultationsService;
	consultations: ConsultationsRepository;
	bookings: BookingsRepository;
	settings: SettingsService;
	siteUrl: string;
	clock: () => Date;
} ) {
	return {
		/**
		 * @throws AppError as `consultations.get` does (403/404/401), and `meeting_cancelled` /
		 *   `meeting_ended` when there is nothing left to put in a calendar.
		 */
		async get( identity: IdentityClaims, id: number, accessToken?: string ): Promise< CalendarEntry > {
			// The same access rules as reading the consultation.
			const view = await deps.consultationsService.get( identity, id, accessToken );
			if ( view.state === 'cancelled' ) {
				throw new AppError( 'meeting_cancelled' );
			}
			if ( view.state === 'ended' ) {
				throw new AppError( 'meeting_ended' );
			}
			const c = await deps.consultations.findById( id );
			if ( ! c ) {
				throw new AppError( 'meeting_not_found' );
			}
			const settings = await deps.settings.get();
			const zone = await deps.bookings.siteTimezone();
			const siteHost = new URL( deps.siteUrl ).host;
			// A guest keeps their personal link; a logged-in viewer gets the plain page (they log in).
			const url = joinLink( deps.siteUrl, settings.join_page_path, view.viewer_role === 'customer' ? accessToken : undefined );
			const title = `${ view.service_name } with ${ view.provider_name }`;
			const details = `Join your video consultation: ${ url }`;
			const ics = buildInvite( {
				uid: `bkx-video-consultation-${ c.id }@${ siteHost }`,
				sequence: c.icsSequence,
				method: 'PUBLISH',
				start: c.scheduledStart,
				end: c.scheduledEnd,
				timezone: zone,
				summary: title,
				description: details,
				url,
				attendees: [],
				now: deps.clock(),
			} );
			const links = addToCalendarLinks( { title, start: c.scheduledStart, end: c.scheduledEnd, details, location: url } );
			return { filename: `video-consultation-${ c.id }.ics`, ics, google_url: links.google, outlook_url: links.outlook };
		},
	};
}

export type CalendarEntries = ReturnType< typeof createCalendarEntries >;

/**
 * The consultation's e-mails, each with an `.ics` (iTIP): the invitation (REQUEST), updates after a
 * reschedule (REQUEST, higher SEQUENCE) and the cancellation (CANCEL). The customer's copy carries
 * their personal link; the provider's copy the plain join page (they log in).
 */
import { DateTime } from 'luxon';

import { deriveAccessToken } from '../crypto';
import type { BookingsRepository } from '../repositories/bookings-repository';
import type { Consultation, ConsultationsRepository } from '../repositories/consultations-repository';
import { buildInvite } from '../services/calendar';
import type { MailMessage, Mailer } from '../services/mailer';
import type { SettingsService } from '../services/settings-service';
import type { Settings } from '@bkx-video/contracts';

interface Deps {
	consultations: ConsultationsRepository;
	bookings: BookingsRepository;
	settings: SettingsService;
	mailer: Mailer;
	secret: string;
	siteUrl: string;
}

type Kind = 'invitation' | 'update' | 'cancellation';

const escapeHtml = ( s: string ) =>
	s.replace( /[&<>"']/g, ( c ) => ( { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } )[ c ] as string );

export function joinLink( siteUrl: string, path: string, token?: string ): string {
	const base = `${ siteUrl }${ path.startsWith( '/' ) ? path : `/${ path }` }`;
	return token ? `${ base }?bkx_vc=${ encodeURIComponent( token ) }` : base;
}

/**
 * The customer is told before the meeting when the platform records it by itself (issue 5:
 * platforms record only once the customer was told; our own room asks for consent in the room).
 * Zoom records automatically when auto_recording is on and its recording mode is not "none".
 */
export function recordingNotice( c: Pick< Consultation, 'platform' | 'recordingEnabled' >, settings: Settings ): string | null {
	if ( ! c.recordingEnabled || c.platform !== 'zoom' || settings.zoom_recording === 'none' ) {
		return null;
	}
	const days = settings.recording_retention_days;
	const who = settings.auto_send_recording ? 'you and your provider' : 'your provider (who may share it with you)';
	return `This consultation will be recorded. The recording is kept privately for ${ days } day${ days === 1 ? '' : 's' } and only ${ who } can watch it. Tell your provider at the start if you do not agree.`;
}

export function createConsultationMailJob( deps: Deps, kind: Kind ) {
	return async ( payload: { consultationId: number; accessVersion?: number; sequence?: number }, idempotencyKey: string ): Promise< void > => {
		// Jobs read the row fresh: a cached copy could be older than the job.
		const c = await deps.consultations.findById( payload.consultationId, { fresh: true } );
		if ( ! c || ! stillCurrent( c, kind, payload ) ) {
			return;
		}
		const settings = await deps.settings.get();
		const zone = await deps.bookings.siteTimezone();
		const service = ( await deps.bookings.getService( c.serviceId ) )?.title ?? 'Video consultation';
		const host = c.hostId ? await deps.bookings.getUser( c.hostId ) : null;
		const seatEmail = c.seatId ? ( await deps.bookings.getSeat( c.seatId ) )?.email ?? '' : '';
		const hostEmail = host?.email || seatEmail;
		const hostName = host?.displayName || service;
		const siteHost = new URL( deps.siteUrl ).host;
		const when = DateTime.fromJSDate( c.scheduledStart ).setZone( zone ).toFormat( 'cccc d LLLL yyyy, HH:mm ZZZZ' );
		const customerLink = c.customerEmail ? joinLink( deps.siteUrl, settings.join_page_path, deriveAccessToken( deps.secret, c.id, c.accessVersion ) ) : '';
		const hostLink = joinLink( deps.siteUrl, settings.join_page_path );
		const method = kind === 'cancellation' ? 'CANCEL' : 'REQUEST';
		const ics = ( url: string ) =>
			buildInvite( {
				uid: `bkx-video-consultation-${ c.id }@${ siteHost }`,
				sequence: c.icsSequence,
				method,
				start: c.scheduledStart,
				end: c.scheduledEnd,
				timezone: zone,
				summary: `${ service } with ${ hostName }`,
				description: kind === 'cancellation' ? 'This video consultation was cancelled.' : `Join your video consultation: ${ url }`,
				url,
				organizer: { name: hostName, email: hostEmail || `wordpress@${ siteHost.split( ':' )[ 0 ] }` },
				attendees: c.customerEmail ? [ { name: c.customerName ?? c.customerEmail, email: c.customerEmail } ] : [],
				now: new Date(),
			} );
		const subject = {
			invitation: `Your video consultation: ${ service }, ${ when }`,
			update: `Changed: your video consultation is now on ${ when }`,
			cancellation: `Cancelled: your video consultation on ${ when }`,
		}[ kind ];
		const lead = {
			invitation: `Your video consultation "${ service }" is booked for ${ when }.`,
			update: `Your video consultation "${ service }" has moved to ${ when }.`,
			cancellation: `Your video consultation "${ service }" on ${ when } was cancelled.`,
		}[ kind ];
		const notice = kind === 'cancellation' ? null : recordingNotice( c, settings );
		const message = ( to: string, name: string, url: string, key: string ): MailMessage => ( {
			to: [ to ],
			subject,
			text:
				`Hello ${ name },\n\n${ lead }\n\n` +
				( kind === 'cancellation' ? '' : `Join here when it opens: ${ url }\n\nThe join page shows the time in your own timezone.\n` ) +
				( notice ? `\n${ notice }\n` : '' ),
			html:
				`<p>Hello ${ escapeHtml( name ) },</p><p>${ escapeHtml( lead ) }</p>` +
				( kind === 'cancellation' ? '' : `<p><a href="${ escapeHtml( url ) }">Join your consultation</a></p><p>The join page shows the time in your own timezone.</p>` ) +
				( notice ? `<p><strong>${ escapeHtml( notice ) }</strong></p>` : '' ),
			attachments: [
				{
					filename: kind === 'cancellation' ? 'cancel.ics' : 'invite.ics',
					content_type: `text/calendar; method=${ method }; charset=UTF-8`,
					content_base64: Buffer.from( ics( url ) ).toString( 'base64' ),
				},
			],
			idempotency_key: key,
		} );
		if ( c.customerEmail ) {
			await deps.mailer.send( message( c.customerEmail, c.customerName ?? '', customerLink, `${ idempotencyKey }:customer` ) );
		}
		if ( hostEmail ) {
			await deps.mailer.send( message( hostEmail, hostName, hostLink, `${ idempotencyKey }:host` ) );
		}
	};
}

/** A newer change has its own job: send nothing stale. */
function stillCurrent( c: Consultation, kind: Kind, payload: { accessVersion?: number; sequence?: number } ): boolean {
	if ( kind === 'invitation' ) {
		return c.status !== 'cancelled' && c.accessVersion === payload.accessVersion;
	}
	if ( kind === 'update' ) {
		return c.status !== 'cancelled' && c.icsSequence === payload.sequence;
	}
	return c.status === 'cancelled' && c.icsSequence === payload.sequence;
}

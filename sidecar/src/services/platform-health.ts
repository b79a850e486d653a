/**
 * Integration health (issue 4): when a platform refuses our credentials (expired or revoked token,
 * rotated secret, revoked Google consent), the admin hears it once — a WordPress admin notice and
 * one e-mail per failure episode, not one per booking — sees which consultations are affected, and
 * nothing needs repairing by hand: while failing, a probe job re-checks the credentials (at once
 * after settings are saved, else every few minutes); when they work again the affected bookings are
 * synced again and the notice goes away.
 *
 * Only `unauthorized` counts: a platform that is down (5xx) or busy (429) is not a credentials
 * problem and heals by itself through retries and failover.
 */
import { DateTime } from 'luxon';
import type { FastifyBaseLogger } from 'fastify';

import { PLATFORM_LABELS, type PlatformId } from '@bkx-video/contracts';

import { createPlatform, isEnabled } from '../platforms/registry';
import { PlatformError, type PlatformEnv } from '../platforms/video-platform';
import type { BookingsRepository } from '../repositories/bookings-repository';
import type { ConsultationsRepository } from '../repositories/consultations-repository';
import { HEALTH_METADATA_KEY, type PlatformHealthRepository } from '../repositories/platform-health-repository';
import type { QueueRepository } from '../repositories/queue-repository';
import type { Mailer, WpRelay } from './mailer';
import type { SettingsService } from './settings-service';

/** How often a failing platform's credentials are tried again without an admin doing anything. */
export const PROBE_INTERVAL_SECONDS = 300;
/** Refusals within this window share one update of the WordPress notice. */
const PUSH_COALESCE_MS = 5_000;
/** A platform seen working is not re-checked against the table for this long (hot path of syncs). */
const KNOWN_OK_MS = 30_000;

export interface PlatformHealthDeps {
	repo: PlatformHealthRepository;
	queue: QueueRepository;
	settings: SettingsService;
	consultations: ConsultationsRepository;
	bookings: BookingsRepository;
	platformEnv: PlatformEnv;
	mailer: Mailer;
	relay: WpRelay;
	/** The plugin's `internal/health` route. */
	healthRelayUrl: string;
	siteUrl: string;
	clock: () => Date;
	log: FastifyBaseLogger;
	/** Re-syncs one booking (booking-sync's syncBooking), for the repair after recovery. */
	syncBooking: ( bookingId: number ) => Promise< unknown >;
}

export function isCredentialFailure( error: unknown ): error is PlatformError {
	return error instanceof PlatformError && error.code === 'unauthorized';
}

export function createPlatformHealth( deps: PlatformHealthDeps ) {
	const { repo, queue, clock, log } = deps;
	const knownOk = new Map< PlatformId, number >();

	const enqueue = ( kind: string, payload: unknown, key: string, runAt: Date ) => queue.enqueueJob( kind, payload, key, runAt, clock() );
	const push = ( reason: string ) => enqueue( 'platform.health_push', { reason }, `platform.health_push:${ reason }`, clock() );

	/** The platform's admin sentence for a failure (adapters write what is wrong and the fix). */
	async function failed( platform: PlatformId, error: PlatformError ): Promise< void > {
		knownOk.delete( platform );
		const now = clock();
		const { started, firstFailedAt } = await repo.markFailing( platform, error.message, now );
		const episode = `${ platform }:${ firstFailedAt.getTime() }`;
		if ( started ) {
			log.error( { platform, reason: error.message }, 'platform refused our credentials; admins are told and a probe is scheduled' );
			await enqueue( 'platform.health_mail', { platform, episode }, `platform.health_mail:${ episode }`, now );
			await push( `failing:${ episode }` );
			await enqueue( 'platform.probe', { platform }, `platform.probe:${ episode }:${ now.getTime() }`, new Date( now.getTime() + PROBE_INTERVAL_SECONDS * 1000 ) );
		}
		// Later refusals change the affected count on the notice: one push per few seconds at most,
		// run at the end of the window so it counts every refusal made in it.
		const bucket = Math.floor( now.getTime() / PUSH_COALESCE_MS );
		await enqueue( 'platform.health_push', { reason: 'update' }, `platform.health_push:update:${ episode }:${ bucket }`, new Date( ( bucket + 1 ) * PUSH_COALESCE_MS ) );
	}

	/** A call with the platform's credentials worked: end a failure episode if there was one. */
	async function succeeded( platform: PlatformId ): Promise< void > {
		const now = clock();
		if ( ( knownOk.get( platform ) ?? 0 ) > now.getTime() ) {
			return;
		}
		const ended = await repo.markOk( platform, now );
		knownOk.set( platform, now.getTime() + KNOWN_OK_MS );
		if ( ended ) {
			log.info( { platform }, 'platform credentials work again; repairing affected consultations' );
			await enqueue( 'platform.recovered', { platform }, `platform.recovered:${ platform }:${ now.getTime() }`, now );
			await push( `recovered:${ platform }:${ now.getTime() }` );
		}
	}

	/** Runs `fn` (a call with the platform's credentials) and records the outcome. */
	async function track< T >( platform: PlatformId, fn: () => Promise< T > ): Promise< T > {
		try {
			const result = await fn();
			await succeeded( platform );
			return result;
		} catch ( error ) {
			if ( isCredentialFailure( error ) ) {
				await failed( platform, error );
			}
			throw error;
		}
	}

	/** Job: try the credentials again; repeat later while they still fail. */
	async function probe( payload: { platform: PlatformId } ): Promise< void > {
		const platform = payload.platform;
		const row = await repo.get( platform );
		if ( ! row || row.status !== 'failing' ) {
			return;
		}
		const now = clock();
		const settings = await deps.settings.get();
		const adapter = isEnabled( settings, platform ) ? createPlatform( platform, { ...deps.platformEnv, settings } ) : null;
		if ( ! adapter ) {
			// Switched off (or no longer available): nothing to warn about any more.
			knownOk.delete( platform );
			if ( await repo.markOk( platform, now ) ) {
				await push( `disabled:${ platform }:${ now.getTime() }` );
			}
			return;
		}
		await repo.touchProbe( platform, now );
		try {
			await adapter.verifyConnection( {} );
		} catch ( error ) {
			if ( isCredentialFailure( error ) ) {
				await repo.markFailing( platform, error.message, now );
			}
			// Still failing (or unreachable): look again later.
			await enqueue( 'platform.probe', { platform }, `platform.probe:${ platform }:${ now.getTime() }`, new Date( now.getTime() + PROBE_INTERVAL_SECONDS * 1000 ) );
			return;
		}
		knownOk.delete( platform );
		await succeeded( platform );
	}

	/** Job: after recovery, sync every affected booking again and drop the markers. */
	async function recovered( payload: { platform: PlatformId } ): Promise< void > {
		for ( const a of await repo.affected( payload.platform, 1000 ) ) {
			try {
				await deps.syncBooking( a.bookingId );
			} catch ( error ) {
				log.warn( { err: error, bookingId: a.bookingId }, 'repair after recovery failed; the reconcile job retries' );
			}
			const c = await deps.consultations.findById( a.consultationId, { fresh: true } );
			if ( c && c.metadata[ HEALTH_METADATA_KEY ] === payload.platform ) {
				const { [ HEALTH_METADATA_KEY ]: _drop, ...rest } = c.metadata;
				await deps.consultations.update( c.id, { metadata: rest }, clock() );
			}
		}
	}

	/** What the admin screen and the WordPress notice show. */
	async function view() {
		const rows = ( await repo.list() ).filter( ( r ) => r.status === 'failing' );
		return Promise.all(
			rows.map( async ( r ) => {
				const affected = await repo.affected( r.platform );
				return {
					platform: r.platform,
					label: PLATFORM_LABELS[ r.platform ],
					status: r.status,
					message: r.message ?? '',
					since: ( r.firstFailedAt ?? clock() ).toISOString(),
					last_probe_at: r.lastProbeAt ? r.lastProbeAt.toISOString() : null,
					affected_count: affected.length,
					affected: affected.map( ( a ) => ( {
						consultation_id: a.consultationId,
						booking_id: a.bookingId,
						scheduled_start: a.scheduledStart.toISOString(),
						customer_name: a.customerName,
						served_by: a.hasMeeting ? a.platform : null,
						problem: a.syncError,
					} ) ),
				};
			} )
		);
	}

	/** Upcoming consultations served elsewhere than planned, and why (the admin status panel). */
	async function failovers() {
		return ( await repo.failovers( clock() ) ).map( ( f ) => ( {
			consultation_id: f.consultationId,
			booking_id: f.bookingId,
			scheduled_start: f.scheduledStart.toISOString(),
			customer_name: f.customerName,
			served_by: f.hasMeeting ? f.platform : null,
			failures: f.failures.map( ( x ) => ( { platform: x.platform, reason: x.reason } ) ),
		} ) );
	}

	/** Job: tell WordPress the current state (it replaces what it had; an empty list clears the notice). */
	async function pushToWordPress(): Promise< void > {
		const platforms = ( await view() ).map( ( { affected: _list, ...rest } ) => rest );
		const res = await deps.relay.post( deps.healthRelayUrl, JSON.stringify( { platforms } ) );
		if ( ! res.ok ) {
			throw new Error( `Health relay answered ${ res.status }: ${ res.text.slice( 0, 300 ) }` );
		}
	}

	/** Job: the one e-mail of a failure episode, to WordPress's administration address. */
	async function mailAdmin( payload: { platform: PlatformId; episode: string } ): Promise< void > {
		const row = await repo.get( payload.platform );
		if ( ! row || row.status !== 'failing' ) {
			return; // Fixed before the mail went out: nothing to say.
		}
		const to = await repo.adminEmail();
		if ( ! to ) {
			log.warn( { platform: payload.platform }, 'no admin_email option: the health e-mail cannot be sent' );
			return;
		}
		const label = PLATFORM_LABELS[ payload.platform ];
		const zone = await deps.bookings.siteTimezone();
		const affected = await repo.affected( payload.platform );
		const settingsUrl = `${ deps.siteUrl }/wp-admin/admin.php?page=bkx-video`;
		const lines = affected.slice( 0, 20 ).map( ( a ) => {
			const when = DateTime.fromJSDate( a.scheduledStart ).setZone( zone ).toFormat( 'd LLL yyyy, HH:mm' );
			const where = a.hasMeeting && a.platform !== payload.platform ? `now on ${ PLATFORM_LABELS[ a.platform ] }` : 'waiting for a meeting';
			return `- Booking #${ a.bookingId }, ${ when }${ a.customerName ? `, ${ a.customerName }` : '' }: ${ where }`;
		} );
		const more = affected.length > lines.length ? [ `- … and ${ affected.length - lines.length } more` ] : [];
		const intro = `${ label } refused the credentials saved in BookingX Video Consultation, so new and changed consultations cannot use it.`;
		const after =
			'Bookings are served by your next enabled video platform meanwhile, or wait for a meeting if there is none. ' +
			'Once the credentials work again, the affected consultations are repaired automatically; you do not need to do anything else.';
		const text = [
			intro,
			'',
			`What ${ label } said: ${ row.message ?? '' }`,
			'',
			affected.length ? `Consultations affected so far (${ affected.length }):` : 'No consultation is affected yet.',
			...lines,
			...more,
			'',
			after,
			'',
			`Fix it in the video settings: ${ settingsUrl }`,
		].join( '\n' );
		const escape = ( s: string ) => s.replace( /[&<>"']/g, ( c ) => ( { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } )[ c ] as string );
		const html =
			`<p>${ escape( intro ) }</p><p><strong>What ${ escape( label ) } said:</strong> ${ escape( row.message ?? '' ) }</p>` +
			( affected.length
				? `<p>Consultations affected so far (${ affected.length }):</p><ul>${ [ ...lines, ...more ].map( ( l ) => `<li>${ escape( l.slice( 2 ) ) }</li>` ).join( '' ) }</ul>`
				: '<p>No consultation is affected yet.</p>' ) +
			`<p>${ escape( after ) }</p><p><a href="${ escape( settingsUrl ) }">Open the video settings</a></p>`;
		await deps.mailer.send( {
			to: [ to ],
			subject: `${ label } stopped working for your video consultations`,
			text,
			html,
			idempotency_key: `platform-health:${ payload.episode }`,
		} );
	}

	/** After settings are saved: probe every failing platform now (new credentials may fix it). */
	async function probeSoon(): Promise< void > {
		const now = clock();
		for ( const r of await repo.list() ) {
			if ( r.status === 'failing' ) {
				await enqueue( 'platform.probe', { platform: r.platform }, `platform.probe:${ r.platform }:settings:${ now.getTime() }`, now );
			}
		}
	}

	return { track, failed, succeeded, probe, recovered, view, failovers, pushToWordPress, mailAdmin, probeSoon };
}

export type PlatformHealth = ReturnType< typeof createPlatformHealth >;

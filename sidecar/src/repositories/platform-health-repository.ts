/**
 * The `platform_health` table, plus the read-only queries the health notice needs: which open
 * consultations a failing platform affects, and whom to tell (WordPress's `admin_email`).
 */
import type { Knex } from 'knex';

import type { PlatformId } from '@bkx-video/contracts';

import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export interface PlatformHealthRow {
	platform: PlatformId;
	status: 'ok' | 'failing';
	message: string | null;
	firstFailedAt: Date | null;
	lastFailedAt: Date | null;
	recoveredAt: Date | null;
	lastProbeAt: Date | null;
}

export interface AffectedConsultation {
	consultationId: number;
	bookingId: number;
	scheduledStart: Date;
	customerName: string | null;
	/** Where the booking is served now (another platform after a failover), and whether it has a meeting. */
	platform: PlatformId;
	hasMeeting: boolean;
	syncError: string | null;
}

const OPEN = [ 'pending', 'scheduled', 'in_progress' ];

function fromRow( r: Record< string, unknown > ): PlatformHealthRow {
	return {
		platform: r.platform as PlatformId,
		status: r.status === 'failing' ? 'failing' : 'ok',
		message: ( r.message as string | null ) ?? null,
		firstFailedAt: fromSqlDateTime( r.first_failed_at as string | null ),
		lastFailedAt: fromSqlDateTime( r.last_failed_at as string | null ),
		recoveredAt: fromSqlDateTime( r.recovered_at as string | null ),
		lastProbeAt: fromSqlDateTime( r.last_probe_at as string | null ),
	};
}

function toAffected( r: Record< string, unknown > ): AffectedConsultation {
	return {
		consultationId: Number( r.id ),
		bookingId: Number( r.booking_id ),
		scheduledStart: fromSqlDateTime( r.scheduled_start as string ) ?? new Date( 0 ),
		customerName: ( r.customer_name as string | null ) ?? null,
		platform: r.platform as PlatformId,
		hasMeeting: Boolean( r.meeting_id ),
		syncError: ( r.sync_error as string | null ) ?? null,
	};
}

/** The marker booking-sync writes into a consultation's metadata when a platform's credentials failed it. */
export const HEALTH_METADATA_KEY = 'credentials_failed_on';

export function createPlatformHealthRepository( knex: Knex, t: Tables ) {
	return {
		async list(): Promise< PlatformHealthRow[] > {
			return ( await knex( t.platformHealth ).select().orderBy( 'platform' ) ).map( fromRow );
		},

		async get( platform: PlatformId ): Promise< PlatformHealthRow | null > {
			const row = await knex( t.platformHealth ).first().where( 'platform', platform );
			return row ? fromRow( row ) : null;
		},

		/**
		 * Marks the platform failing. Returns true only for the call that turned it from working (or
		 * unknown) to failing, so exactly one caller starts the episode (mail, notice), even with
		 * several sidecar instances failing at once.
		 */
		async markFailing( platform: PlatformId, message: string, now: Date ): Promise< { started: boolean; firstFailedAt: Date } > {
			const ts = toSqlDateTime( now );
			return knex.transaction( async ( trx ) => {
				// Insert-if-missing, then lock the row: the transitions below are serialised per platform.
				await trx.raw( `INSERT IGNORE INTO ?? (platform, status, updated_at) VALUES (?, 'ok', ?)`, [ t.platformHealth, platform, ts ] );
				const row = await trx( t.platformHealth ).first().where( 'platform', platform ).forUpdate();
				if ( row.status === 'failing' ) {
					await trx( t.platformHealth ).where( 'platform', platform ).update( { message, last_failed_at: ts, updated_at: ts } );
					return { started: false, firstFailedAt: fromSqlDateTime( row.first_failed_at ) ?? now };
				}
				await trx( t.platformHealth )
					.where( 'platform', platform )
					.update( { status: 'failing', message, first_failed_at: ts, last_failed_at: ts, recovered_at: null, updated_at: ts } );
				return { started: true, firstFailedAt: now };
			} );
		},

		/** Marks the platform working. True only for the call that ended a failure episode. */
		async markOk( platform: PlatformId, now: Date ): Promise< boolean > {
			const ts = toSqlDateTime( now );
			const changed = await knex( t.platformHealth )
				.where( { platform, status: 'failing' } )
				.update( { status: 'ok', recovered_at: ts, updated_at: ts } );
			return Number( changed ) > 0;
		},

		async touchProbe( platform: PlatformId, now: Date ): Promise< void > {
			await knex( t.platformHealth ).where( 'platform', platform ).update( { last_probe_at: toSqlDateTime( now ) } );
		},

		/**
		 * Open consultations the platform's failure touches: those still on it that could not be
		 * synced, and those that another platform serves because this one refused its credentials.
		 */
		async affected( platform: PlatformId, limit = 200 ): Promise< AffectedConsultation[] > {
			const rows = await knex( t.consultations )
				.select( 'id', 'booking_id', 'scheduled_start', 'customer_name', 'platform', 'meeting_id', 'sync_error' )
				.whereIn( 'status', OPEN )
				.andWhere( ( q ) =>
					q
						.where( ( a ) => a.where( 'platform', platform ).whereNotNull( 'sync_error' ) )
						// metadata is JSON text; the marker is written by booking-sync with exactly this shape.
						.orWhere( 'metadata', 'like', `%"${ HEALTH_METADATA_KEY }":"${ platform }"%` )
				)
				.orderBy( 'scheduled_start' )
				.limit( limit );
			return ( rows as Array< Record< string, unknown > > ).map( toAffected );
		},

		/**
		 * Upcoming open consultations that another platform serves because the chosen one refused or
		 * was down (`metadata.platform_failures`, written by booking-sync), soonest first.
		 */
		async failovers( now: Date, limit = 20 ): Promise< Array< AffectedConsultation & { failures: Array< { platform: string; reason: string } > } > > {
			const rows = await knex( t.consultations )
				.select( 'id', 'booking_id', 'scheduled_start', 'customer_name', 'platform', 'meeting_id', 'sync_error', 'metadata' )
				.whereIn( 'status', OPEN )
				.andWhere( 'scheduled_end', '>=', toSqlDateTime( now ) )
				// A cheap pre-filter on the JSON text; the parse below decides.
				.andWhere( 'metadata', 'like', '%"platform_failures":[{%' )
				.orderBy( 'scheduled_start' )
				.limit( limit * 3 );
			const out: Array< AffectedConsultation & { failures: Array< { platform: string; reason: string } > } > = [];
			for ( const r of rows as Array< Record< string, unknown > > ) {
				let failures: Array< { platform: string; reason: string } > = [];
				try {
					const meta = JSON.parse( String( r.metadata ) ) as { platform_failures?: unknown };
					failures = ( Array.isArray( meta.platform_failures ) ? meta.platform_failures : [] ).filter(
						( f ): f is { platform: string; reason: string } =>
							typeof f === 'object' && f !== null && typeof ( f as { reason?: unknown } ).reason === 'string' &&
							// Configuration choices (a platform switched off) are not failures.
							! [ 'disabled', 'not_available' ].includes( ( f as { reason: string } ).reason )
					);
				} catch {
					failures = [];
				}
				if ( ! failures.length ) {
					continue;
				}
				out.push( { ...toAffected( r ), failures } );
				if ( out.length >= limit ) {
					break;
				}
			}
			return out;
		},

		/** WordPress's administration e-mail address (Settings → General). */
		async adminEmail(): Promise< string | null > {
			const row = await knex( t.options ).first( 'option_value' ).where( 'option_name', 'admin_email' );
			const value = row ? String( row.option_value ).trim() : '';
			return value || null;
		},
	};
}

export type PlatformHealthRepository = ReturnType< typeof createPlatformHealthRepository >;

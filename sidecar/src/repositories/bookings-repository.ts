/**
 * Reads BookingX data straight from WordPress's tables (read only). What is read and why is in
 * docs/architecture.md §5 and shared/reference/bookingx.md §7.
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';

import type { Tables } from '../db/tables';
import { createTtlCache } from '../ttl-cache';
import { maybeUnserialize, type PhpValue } from '../db/php-unserialize';

export interface Booking {
	id: number;
	/** The real post status (`bkx-pending`, …, `trash`); never the stale `post_status` meta. */
	status: string;
	serviceId: number;
	seatId: number;
	/** UTC instants, from the site-local wall clock in `booking_start_date`/`booking_end_date`. */
	start: Date | null;
	end: Date | null;
	email: string;
	firstName: string;
	lastName: string;
	createdBy: number;
	postAuthor: number;
	/** The platform the customer picked on the booking form (`bkx_video_platform_choice`), or ''. */
	platformChoice: string;
}

export interface Service {
	id: number;
	title: string;
	videoEnabled: boolean;
	platformOverride: string;
}

export interface Seat {
	id: number;
	title: string;
	wpUserId: number;
	email: string;
}

/** Statuses after which a booking has no consultation (reference §7.1). */
export const CLOSED_BOOKING_STATUSES = new Set( [ 'bkx-cancelled', 'bkx-missed', 'bkx-failed', 'trash' ] );

/**
 * @param cache.ttlSeconds how long the join path's booking-status re-check may answer from memory
 *   (the same bound as the consultation cache).
 */
export function createBookingsRepository( knex: Knex, t: Tables, cache: { ttlSeconds: number; clock: () => Date } = { ttlSeconds: 0, clock: () => new Date() } ) {
	const statusCache = createTtlCache< number, string | null >( cache );

	async function postMeta( postId: number ): Promise< Map< string, string > > {
		const rows = await knex( t.postmeta ).select( 'meta_key', 'meta_value' ).where( 'post_id', postId );
		const map = new Map< string, string >();
		for ( const row of rows as Array< { meta_key: string; meta_value: string | null } > ) {
			// WordPress allows repeated keys; get_post_meta($id, $key, true) returns the first.
			if ( ! map.has( row.meta_key ) ) {
				map.set( row.meta_key, row.meta_value ?? '' );
			}
		}
		return map;
	}

	async function option( name: string ): Promise< string | null > {
		const row = await knex( t.options ).first( 'option_value' ).where( 'option_name', name );
		return row ? String( row.option_value ) : null;
	}

	/** The site's timezone as luxon understands it: `timezone_string`, else the `gmt_offset`. */
	async function siteTimezone(): Promise< string > {
		const tz = await option( 'timezone_string' );
		if ( tz && DateTime.local().setZone( tz ).isValid ) {
			return tz;
		}
		const offset = parseFloat( ( await option( 'gmt_offset' ) ) ?? '0' ) || 0;
		if ( offset === 0 ) {
			return 'UTC';
		}
		const hours = Math.trunc( offset );
		const minutes = Math.round( Math.abs( offset - hours ) * 60 );
		return `UTC${ offset < 0 ? '-' : '+' }${ Math.abs( hours ) }${ minutes ? `:${ String( minutes ).padStart( 2, '0' ) }` : '' }`;
	}

	function localToUtc( value: string, zone: string ): Date | null {
		if ( ! value ) {
			return null;
		}
		const dt = DateTime.fromFormat( value.trim(), 'yyyy-MM-dd HH:mm:ss', { zone } );
		const fallback = dt.isValid ? dt : DateTime.fromSQL( value.trim(), { zone } );
		return fallback.isValid ? fallback.toUTC().toJSDate() : null;
	}

	return {
		siteTimezone,

		async getBooking( id: number ): Promise< Booking | null > {
			const post = await knex( t.posts )
				.first( 'ID', 'post_status', 'post_author' )
				.where( { ID: id, post_type: 'bkx_booking' } );
			if ( ! post ) {
				return null;
			}
			const meta = await postMeta( id );
			// Empty values live only inside order_meta_data (reference §2.3): fall back to it.
			const orderMetaRaw = meta.get( 'order_meta_data' );
			const orderMeta = orderMetaRaw ? maybeUnserialize( orderMetaRaw ) : null;
			const get = ( key: string ): string => {
				const direct = meta.get( key );
				if ( direct !== undefined && direct !== '' ) {
					return direct;
				}
				if ( orderMeta && typeof orderMeta === 'object' ) {
					const v: PhpValue | undefined = orderMeta[ key ];
					if ( typeof v === 'string' || typeof v === 'number' ) {
						return String( v );
					}
				}
				return '';
			};
			const zone = await siteTimezone();
			return {
				id,
				status: String( post.post_status ),
				serviceId: parseInt( get( 'base_id' ), 10 ) || 0,
				seatId: parseInt( get( 'seat_id' ), 10 ) || 0,
				start: localToUtc( get( 'booking_start_date' ), zone ),
				end: localToUtc( get( 'booking_end_date' ), zone ),
				email: get( 'email' ).trim(),
				firstName: get( 'first_name' ).trim(),
				lastName: get( 'last_name' ).trim(),
				createdBy: parseInt( get( 'created_by' ), 10 ) || 0,
				postAuthor: Number( post.post_author ) || 0,
				platformChoice: get( 'bkx_video_platform_choice' ).trim(),
			};
		},

		/** Only the real post status (or null when the booking is gone): the cheap re-check at join. */
		getBookingStatus( id: number ): Promise< string | null > {
			return statusCache.get( id, async () => {
				const post = await knex( t.posts ).first( 'post_status' ).where( { ID: id, post_type: 'bkx_booking' } );
				return post ? String( post.post_status ) : null;
			} );
		},

		async getService( id: number ): Promise< Service | null > {
			const post = await knex( t.posts ).first( 'ID', 'post_title' ).where( { ID: id, post_type: 'bkx_base' } );
			if ( ! post ) {
				return null;
			}
			const meta = await postMeta( id );
			return {
				id,
				title: String( post.post_title ),
				videoEnabled: meta.get( '_bkx_video_enabled' ) === '1',
				platformOverride: meta.get( '_bkx_video_platform' ) ?? '',
			};
		},

		async getSeat( id: number ): Promise< Seat | null > {
			const post = await knex( t.posts ).first( 'ID', 'post_title' ).where( { ID: id, post_type: 'bkx_seat' } );
			if ( ! post ) {
				return null;
			}
			const meta = await postMeta( id );
			return {
				id,
				title: String( post.post_title ),
				wpUserId: parseInt( meta.get( 'seat_wp_user_id' ) || meta.get( 'seat_user_id' ) || '0', 10 ) || 0,
				email: meta.get( 'seatEmail' ) ?? '',
			};
		},

		async getUser( id: number ): Promise< { id: number; email: string; displayName: string } | null > {
			if ( ! id ) {
				return null;
			}
			const row = await knex( t.users ).first( 'ID', 'user_email', 'display_name' ).where( 'ID', id );
			return row ? { id: Number( row.ID ), email: String( row.user_email ), displayName: String( row.display_name ) } : null;
		},

		async findUserIdByEmail( email: string ): Promise< number | null > {
			if ( ! email ) {
				return null;
			}
			const row = await knex( t.users ).first( 'ID' ).where( 'user_email', email );
			return row ? Number( row.ID ) : null;
		},

		/**
		 * IDs of bookings of video services that are not closed and not long over. Used by the
		 * reconcile job; the per-booking sync decides the rest.
		 */
		async listVideoBookingIds( notEndedBefore: Date ): Promise< number[] > {
			// booking_end_date is site-local; two days of margin cover every UTC offset.
			const cutoff = new Date( notEndedBefore.getTime() - 2 * 86400_000 ).toISOString().slice( 0, 19 ).replace( 'T', ' ' );
			const rows = await knex( `${ t.posts } as b` )
				.distinct( 'b.ID as id' )
				.join( `${ t.postmeta } as bm`, function () {
					this.on( 'bm.post_id', '=', 'b.ID' ).andOn( 'bm.meta_key', '=', knex.raw( '?', [ 'base_id' ] ) );
				} )
				.join( `${ t.postmeta } as sm`, function () {
					this.on( knex.raw( 'sm.post_id = CAST(bm.meta_value AS UNSIGNED)' ) ).andOn(
						'sm.meta_key',
						'=',
						knex.raw( '?', [ '_bkx_video_enabled' ] )
					);
				} )
				.leftJoin( `${ t.postmeta } as em`, function () {
					this.on( 'em.post_id', '=', 'b.ID' ).andOn( 'em.meta_key', '=', knex.raw( '?', [ 'booking_end_date' ] ) );
				} )
				.where( 'b.post_type', 'bkx_booking' )
				.andWhere( 'sm.meta_value', '1' )
				.andWhere( ( q ) => q.whereNull( 'em.meta_value' ).orWhere( 'em.meta_value', '' ).orWhere( 'em.meta_value', '>=', cutoff ) )
				.whereNotIn( 'b.post_status', [ ...CLOSED_BOOKING_STATUSES ] );
			return ( rows as Array< { id: number } > ).map( ( r ) => Number( r.id ) );
		},
	};
}

export type BookingsRepository = ReturnType< typeof createBookingsRepository >;

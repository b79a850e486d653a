/**
 * Reads BookingX data straight from WordPress's tables (read only). What is read and why is in
 * docs/architecture.md §5 and shared/reference/bookingx.md §7.
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';

import { batched, byKey } from '../db/batch';
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

/** The booking meta the sidecar reads (a booking has dozens of keys; only these are fetched). */
const BOOKING_META_KEYS = [
	'base_id',
	'seat_id',
	'booking_start_date',
	'booking_end_date',
	'email',
	'first_name',
	'last_name',
	'created_by',
	'bkx_video_platform_choice',
	'order_meta_data',
];
const SERVICE_META_KEYS = [ '_bkx_video_enabled', '_bkx_video_platform' ];
const SEAT_META_KEYS = [ 'seat_wp_user_id', 'seat_user_id', 'seatEmail' ];
/** One query reads bookings, services and seats alike: the keys of all three. */
const POST_META_KEYS = [ ...new Set( [ ...BOOKING_META_KEYS, ...SERVICE_META_KEYS, ...SEAT_META_KEYS ] ) ];

const zoneValidity = new Map< string, boolean >();
/** Whether luxon knows the zone (remembered: checking builds an Intl formatter). */
function isValidZone( zone: string ): boolean {
	let valid = zoneValidity.get( zone );
	if ( valid === undefined ) {
		valid = DateTime.local().setZone( zone ).isValid;
		if ( zoneValidity.size < 1000 ) {
			zoneValidity.set( zone, valid );
		}
	}
	return valid;
}

interface PostRow {
	ID: number;
	post_type: string;
	post_status: string;
	post_author: number;
	post_title: string;
}

/**
 * @param cache.ttlSeconds how long the join path's booking-status re-check and the site's timezone
 *   may answer from memory (the same bound as the settings and consultation caches).
 *
 * Reads made at about the same moment (a burst of syncs) share one query per kind
 * (src/db/batch.ts).
 */
export function createBookingsRepository( knex: Knex, t: Tables, cache: { ttlSeconds: number; clock: () => Date } = { ttlSeconds: 0, clock: () => new Date() } ) {
	const statusCache = createTtlCache< number, string | null >( cache );

	const zoneCache = createTtlCache< 'zone', string >( cache );

	/**
	 * Posts (bookings, services, seats) with the meta keys the sidecar reads: every id asked for
	 * at about the same moment, in one query. The caller checks the post type.
	 */
	const post = batched( async ( ids: readonly number[] ) => {
		const rows = ( await knex( `${ t.posts } as p` )
			.leftJoin( `${ t.postmeta } as m`, function () {
				this.on( 'm.post_id', '=', 'p.ID' ).andOnIn( 'm.meta_key', POST_META_KEYS );
			} )
			.select( 'p.ID', 'p.post_type', 'p.post_status', 'p.post_author', 'p.post_title', 'm.meta_key', 'm.meta_value' )
			.whereIn( 'p.ID', [ ...new Set( ids ) ] )
			.orderBy( 'm.meta_id' ) ) as Array< PostRow & { meta_key: string | null; meta_value: string | null } >;
		const found = new Map< number, { post: PostRow; meta: Map< string, string > } >();
		for ( const row of rows ) {
			const id = Number( row.ID );
			let entry = found.get( id );
			if ( ! entry ) {
				entry = { post: { ID: id, post_type: row.post_type, post_status: row.post_status, post_author: row.post_author, post_title: row.post_title }, meta: new Map() };
				found.set( id, entry );
			}
			// WordPress allows repeated keys; get_post_meta($id, $key, true) returns the first.
			if ( row.meta_key !== null && ! entry.meta.has( row.meta_key ) ) {
				entry.meta.set( row.meta_key, row.meta_value ?? '' );
			}
		}
		return ids.map( ( id ) => found.get( id ) ?? null );
	} );

	/** The post with its meta when it exists and is of `type`. */
	async function postOfType( id: number, type: string ): Promise< { post: PostRow; meta: Map< string, string > } | null > {
		const found = await post( id );
		return found?.post.post_type === type ? found : null;
	}

	const option = batched( async ( names: readonly string[] ) => {
		const rows = ( await knex( t.options ).select( 'option_name', 'option_value' ).whereIn( 'option_name', [ ...new Set( names ) ] ) ) as Array< { option_name: string; option_value: unknown } >;
		return byKey( names, rows, ( r ) => r.option_name, ( r ) => String( r.option_value ), null as string | null );
	} );

	/** The site's timezone as luxon understands it: `timezone_string`, else the `gmt_offset`. */
	function siteTimezone(): Promise< string > {
		return zoneCache.get( 'zone', loadTimezone );
	}

	async function loadTimezone(): Promise< string > {
		const [ tz, gmtOffset ] = await Promise.all( [ option( 'timezone_string' ), option( 'gmt_offset' ) ] );
		if ( tz && isValidZone( tz ) ) {
			return tz;
		}
		const offset = parseFloat( gmtOffset ?? '0' ) || 0;
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
		// BookingX's `Y-m-d H:i:s`, read field by field (luxon's format parser costs several times
		// more, twice per booking in a burst); anything else as SQL.
		const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec( value.trim() );
		const dt = m
			? DateTime.fromObject( { year: +m[ 1 ]!, month: +m[ 2 ]!, day: +m[ 3 ]!, hour: +m[ 4 ]!, minute: +m[ 5 ]!, second: +m[ 6 ]! }, { zone } )
			: DateTime.invalid( 'not Y-m-d H:i:s' );
		const fallback = dt.isValid ? dt : DateTime.fromSQL( value.trim(), { zone } );
		return fallback.isValid ? fallback.toUTC().toJSDate() : null;
	}

	function toBooking( post: PostRow, meta: Map< string, string >, zone: string ): Booking {
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
		return {
			id: Number( post.ID ),
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
	}

	function toService( f: { post: PostRow; meta: Map< string, string > } ): Service {
		return {
			id: Number( f.post.ID ),
			title: String( f.post.post_title ),
			videoEnabled: f.meta.get( '_bkx_video_enabled' ) === '1',
			platformOverride: f.meta.get( '_bkx_video_platform' ) ?? '',
		};
	}

	function toSeat( f: { post: PostRow; meta: Map< string, string > } ): Seat {
		return {
			id: Number( f.post.ID ),
			title: String( f.post.post_title ),
			wpUserId: parseInt( f.meta.get( 'seat_wp_user_id' ) || f.meta.get( 'seat_user_id' ) || '0', 10 ) || 0,
			email: f.meta.get( 'seatEmail' ) ?? '',
		};
	}

	type User = { id: number; email: string; displayName: string };
	const user = batched( async ( ids: readonly number[] ) => {
		const rows = ( await knex( t.users ).select( 'ID', 'user_email', 'display_name' ).whereIn( 'ID', [ ...new Set( ids ) ] ) ) as Array< { ID: number; user_email: string; display_name: string } >;
		return byKey( ids, rows, ( r ) => Number( r.ID ), ( r ): User | null => ( { id: Number( r.ID ), email: String( r.user_email ), displayName: String( r.display_name ) } ), null );
	} );

	const userIdByEmail = batched( async ( emails: readonly string[] ) => {
		const rows = ( await knex( t.users ).select( 'ID', 'user_email' ).whereIn( 'user_email', [ ...new Set( emails ) ] ).orderBy( 'ID' ) ) as Array< { ID: number; user_email: string } >;
		// MySQL compares e-mail addresses case-insensitively (utf8mb4_unicode_ci), as a lookup by one did.
		return byKey( emails.map( ( e ) => e.toLowerCase() ), rows, ( r ) => String( r.user_email ).toLowerCase(), ( r ): number | null => Number( r.ID ), null );
	} );

	return {
		siteTimezone,

		async getBooking( id: number ): Promise< Booking | null > {
			const [ found, zone ] = await Promise.all( [ postOfType( id, 'bkx_booking' ), siteTimezone() ] );
			return found ? toBooking( found.post, found.meta, zone ) : null;
		},

		/** Only the real post status (or null when the booking is gone): the cheap re-check at join. */
		getBookingStatus( id: number ): Promise< string | null > {
			return statusCache.get( id, async () => {
				const post = await knex( t.posts ).first( 'post_status' ).where( { ID: id, post_type: 'bkx_booking' } );
				return post ? String( post.post_status ) : null;
			} );
		},

		async getService( id: number ): Promise< Service | null > {
			const found = await postOfType( id, 'bkx_base' );
			return found ? toService( found ) : null;
		},

		async getSeat( id: number ): Promise< Seat | null > {
			const found = await postOfType( id, 'bkx_seat' );
			return found ? toSeat( found ) : null;
		},

		async getUser( id: number ): Promise< User | null > {
			return id ? user( id ) : null;
		},

		async findUserIdByEmail( email: string ): Promise< number | null > {
			return email ? userIdByEmail( email ) : null;
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

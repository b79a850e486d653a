<?php
/**
 * BookingX listeners: the outbox.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Bookingx;

use BookingX\Addons\VideoConsultation\Sidecar\Client;
use BookingX\Addons\VideoConsultation\Sidecar\IdentitySigner;

defined( 'ABSPATH' ) || exit;

/**
 * Records that a booking changed, in `{prefix}bkx_video_events` (architecture §4).
 *
 * The hooks are the ones BookingX 1.1.2 really fires (shared/reference/bookingx.md §7/§8): it
 * creates bookings by raw SQL and changes statuses by direct updates, so the usual post hooks miss
 * most changes. The sidecar re-reads the booking for every event, so an event only says "look at
 * booking X"; duplicates and order do not matter.
 *
 * Rows are collected during the request (one per booking and kind, the most telling snapshot
 * kept) and written at `shutdown`, followed by one nudge. Writing at the end matters for a
 * reschedule: BookingX fires `save_post` with the OLD date before it writes the new one, and a
 * sidecar that claimed a row in between would sync the old schedule.
 */
class Listeners {

	/** Table suffix; the sidecar owns the schema. */
	const TABLE = 'bkx_video_events';

	/** The booking post type. */
	const POST_TYPE = 'bkx_booking';

	/** The meta key BookingX writes last on create, edit and staff reassignment. */
	const ORDER_META = 'order_meta_data';

	/** Sidecar path of the nudge. */
	const NUDGE_PATH = '/internal/outbox/nudge';

	/**
	 * Sidecar client.
	 *
	 * @var Client
	 */
	private $client;

	/**
	 * Identity signer.
	 *
	 * @var IdentitySigner
	 */
	private $signer;

	/**
	 * Rows waiting for shutdown, keyed by "<booking id>|<kind>".
	 *
	 * @var array<string, array>
	 */
	private $pending = array();

	/**
	 * Whether the missing table was already logged in this request.
	 *
	 * @var bool
	 */
	private $logged_failure = false;

	/**
	 * Constructor.
	 *
	 * @param Client         $client Sidecar client.
	 * @param IdentitySigner $signer Identity signer.
	 */
	public function __construct( Client $client, IdentitySigner $signer ) {
		$this->client = $client;
		$this->signer = $signer;
	}

	/**
	 * Attaches the listeners. Called only when BookingX is active.
	 *
	 * @return void
	 */
	public function init(): void {
		add_action( 'added_post_meta', array( $this, 'on_meta' ), 10, 3 );
		add_action( 'updated_post_meta', array( $this, 'on_meta' ), 10, 3 );
		add_action( 'save_post_' . self::POST_TYPE, array( $this, 'on_save_post' ), 10, 1 );
		add_action( 'bkx_order_edit_status', array( $this, 'on_edit_status' ), 10, 2 );
		// BookingX handles `mark_*` in this filter itself; run after it, when the status is written.
		add_filter( 'handle_bulk_actions-edit-' . self::POST_TYPE, array( $this, 'on_bulk_action' ), 100, 3 );
		add_action( 'wp_trash_post', array( $this, 'on_trash' ), 10, 1 );
		add_action( 'trashed_post', array( $this, 'on_trashed' ), 10, 1 );
		add_action( 'untrashed_post', array( $this, 'on_untrashed' ), 10, 1 );
		add_action( 'before_delete_post', array( $this, 'on_delete' ), 10, 1 );
		add_action( 'shutdown', array( $this, 'flush' ), 100 );
	}

	/**
	 * Create, reschedule and staff change: `order_meta_data` is written.
	 *
	 * @param int    $meta_id   Meta row id.
	 * @param int    $object_id Post id.
	 * @param string $meta_key  Meta key.
	 * @return void
	 */
	public function on_meta( $meta_id, $object_id, $meta_key ): void {
		if ( self::ORDER_META !== $meta_key || ! $this->is_booking( $object_id ) ) {
			return;
		}
		$this->record( (int) $object_id, 'booking.saved', current_action() );
	}

	/**
	 * Backstop for edits that do not touch `order_meta_data`.
	 *
	 * @param int $post_id Post id.
	 * @return void
	 */
	public function on_save_post( $post_id ): void {
		if ( wp_is_post_revision( $post_id ) || wp_is_post_autosave( $post_id ) || ! $this->is_booking( $post_id ) ) {
			return;
		}
		$this->record( (int) $post_id, 'booking.saved', 'save_post_' . self::POST_TYPE );
	}

	/**
	 * Single status change. BookingX fires this twice, first with `customer_<status>`.
	 *
	 * @param int    $booking_id Booking id.
	 * @param string $status     Status slug.
	 * @return void
	 */
	public function on_edit_status( $booking_id, $status = '' ): void {
		if ( 0 === strpos( (string) $status, 'customer_' ) || ! $this->is_booking( $booking_id ) ) {
			return;
		}
		$this->record( (int) $booking_id, 'booking.status', 'bkx_order_edit_status' );
	}

	/**
	 * Bulk `mark_<status>` from the bookings list (BookingX fires no other hook for it).
	 *
	 * @param string $redirect Redirect URL.
	 * @param string $action   Bulk action.
	 * @param array  $ids      Post ids.
	 * @return string The unchanged redirect URL.
	 */
	public function on_bulk_action( $redirect, $action = '', $ids = array() ) {
		if ( 0 === strpos( (string) $action, 'mark_' ) ) {
			foreach ( (array) $ids as $id ) {
				if ( $this->is_booking( $id ) ) {
					$this->record( (int) $id, 'booking.bulk_status', 'handle_bulk_actions-edit-' . self::POST_TYPE );
				}
			}
		}
		return $redirect;
	}

	/**
	 * About to be trashed (BookingX's "Cancel" row action).
	 *
	 * @param int $post_id Post id.
	 * @return void
	 */
	public function on_trash( $post_id ): void {
		if ( $this->is_booking( $post_id ) ) {
			$this->record( (int) $post_id, 'booking.trashed', 'wp_trash_post' );
		}
	}

	/**
	 * Trashed; replaces the snapshot of on_trash() with the `trash` status.
	 *
	 * @param int $post_id Post id.
	 * @return void
	 */
	public function on_trashed( $post_id ): void {
		if ( $this->is_booking( $post_id ) ) {
			$this->record( (int) $post_id, 'booking.trashed', 'trashed_post' );
		}
	}

	/**
	 * Restored from the trash.
	 *
	 * @param int $post_id Post id.
	 * @return void
	 */
	public function on_untrashed( $post_id ): void {
		if ( $this->is_booking( $post_id ) ) {
			$this->record( (int) $post_id, 'booking.untrashed', 'untrashed_post' );
		}
	}

	/**
	 * About to be deleted for good: the snapshot is taken while the post still exists.
	 *
	 * @param int $post_id Post id.
	 * @return void
	 */
	public function on_delete( $post_id ): void {
		if ( $this->is_booking( $post_id ) ) {
			$this->record( (int) $post_id, 'booking.deleted', 'before_delete_post' );
		}
	}

	/**
	 * Writes the collected rows and nudges the sidecar once. Hooked on `shutdown`.
	 *
	 * @return void
	 */
	public function flush(): void {
		global $wpdb;
		if ( array() === $this->pending ) {
			return;
		}
		$rows          = $this->pending;
		$this->pending = array();

		$table   = $wpdb->prefix . self::TABLE;
		$written = 0;
		foreach ( $rows as $row ) {
			$suppress = $wpdb->suppress_errors( true );
			$ok       = $wpdb->insert( $table, $row, array( '%d', '%s', '%s', '%s', '%s' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery
			$wpdb->suppress_errors( $suppress );
			if ( false === $ok ) {
				if ( ! $this->logged_failure ) {
					$this->logged_failure = true;
					// Usually the table does not exist yet because the sidecar never ran; its reconcile job catches up.
					error_log( sprintf( 'BookingX Video Consultation: could not write to %s (%s); the sidecar will reconcile.', $table, $wpdb->last_error ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
				}
				continue;
			}
			++$written;
		}

		if ( $written > 0 ) {
			$this->nudge();
		}
	}

	/**
	 * Rows waiting to be written (for tests and debugging).
	 *
	 * @return array<string, array>
	 */
	public function get_pending(): array {
		return $this->pending;
	}

	/**
	 * Tells the sidecar to look at the outbox now: one signed, non-blocking POST.
	 *
	 * @return void
	 */
	private function nudge(): void {
		if ( ! $this->client->is_configured() ) {
			return;
		}
		$body = '{}';
		$this->client->send(
			'POST',
			self::NUDGE_PATH,
			array(
				'Content-Type'   => 'application/json',
				'X-BKX-Identity' => $this->signer->sign_system( 'POST', self::NUDGE_PATH, $body ),
			),
			$body,
			array(
				'timeout'  => 0.5,
				'blocking' => false,
			)
		);
	}

	/**
	 * Queues one row per (booking, kind), keeping the most telling snapshot.
	 *
	 * A later hook replaces an earlier one (trashed_post after wp_trash_post, the new dates after a
	 * reschedule), except that the `save_post` backstop never replaces an `order_meta_data` row.
	 *
	 * @param int    $booking_id Booking id.
	 * @param string $kind       Event kind.
	 * @param string $hook       Hook that fired.
	 * @return void
	 */
	private function record( int $booking_id, string $kind, string $hook ): void {
		$key = $booking_id . '|' . $kind;
		if ( isset( $this->pending[ $key ] )
			&& 'save_post_' . self::POST_TYPE === $hook
			&& in_array( $this->pending[ $key ]['source_hook'], array( 'added_post_meta', 'updated_post_meta' ), true ) ) {
			return;
		}
		$this->pending[ $key ] = array(
			'booking_id'  => $booking_id,
			'kind'        => $kind,
			'snapshot'    => (string) wp_json_encode( $this->snapshot( $booking_id, $hook ), JSON_UNESCAPED_SLASHES ),
			'source_hook' => $hook,
			'created_at'  => gmdate( 'Y-m-d H:i:s' ),
		);
	}

	/**
	 * What PHP sees now: `{status, hook, start, end, seat_id, base_id}`; missing values are left out.
	 *
	 * @param int    $booking_id Booking id.
	 * @param string $hook       Hook that fired.
	 * @return array
	 */
	private function snapshot( int $booking_id, string $hook ): array {
		// BookingX updates statuses with $wpdb->update and does not clear the cache.
		clean_post_cache( $booking_id );

		$snapshot = array( 'hook' => $hook );
		$status   = get_post_status( $booking_id );
		if ( is_string( $status ) && '' !== $status ) {
			$snapshot['status'] = $status;
		}

		$order = get_post_meta( $booking_id, self::ORDER_META, true );
		$order = is_array( $order ) ? $order : array();
		$keys  = array(
			'start'   => 'booking_start_date',
			'end'     => 'booking_end_date',
			'seat_id' => 'seat_id',
			'base_id' => 'base_id',
		);
		foreach ( $keys as $field => $meta_key ) {
			$value = get_post_meta( $booking_id, $meta_key, true );
			if ( ( '' === $value || null === $value ) && isset( $order[ $meta_key ] ) ) {
				$value = $order[ $meta_key ];
			}
			if ( is_scalar( $value ) && '' !== (string) $value ) {
				$snapshot[ $field ] = (string) $value;
			}
		}
		return $snapshot;
	}

	/**
	 * Whether a post id is a BookingX booking.
	 *
	 * @param mixed $post_id Post id.
	 * @return bool
	 */
	private function is_booking( $post_id ): bool {
		return is_numeric( $post_id ) && (int) $post_id > 0 && self::POST_TYPE === get_post_type( (int) $post_id );
	}
}

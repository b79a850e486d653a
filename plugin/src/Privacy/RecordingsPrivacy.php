<?php
/**
 * WordPress privacy tools for consultation recordings.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Privacy;

use BookingX\Addons\VideoConsultation\Sidecar\Client;
use BookingX\Addons\VideoConsultation\Sidecar\IdentitySigner;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * A personal data exporter and eraser (Tools → Export / Erase Personal Data) for the recordings of
 * a customer's consultations.
 *
 * WordPress has already checked that the admin may export or erase (and the request is confirmed)
 * before it calls these callbacks, so they ask the sidecar with PHP's own system identity: the
 * sidecar finds the recordings by the customer e-mail of their consultations, whether or not the
 * customer has a WordPress account. Files and rows are removed there and the erasure is
 * audit-logged. PHP decides nothing.
 */
class RecordingsPrivacy {

	/** Key of the exporter and the eraser in WordPress's lists. */
	const KEY = 'bookingx-video-consultation-recordings';

	/** Sidecar path of the eraser. */
	const ERASE_PATH = '/v1/recordings/erase';

	/** Sidecar path of the list the exporter reads. */
	const LIST_PATH = '/v1/recordings';

	/** Group id of the exported items. */
	const GROUP_ID = 'bkx-video-recordings';

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
	 * Adds the hooks.
	 *
	 * @return void
	 */
	public function init(): void {
		add_filter( 'wp_privacy_personal_data_exporters', array( $this, 'register_exporter' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( $this, 'register_eraser' ) );
	}

	/**
	 * Adds the exporter, hooked on `wp_privacy_personal_data_exporters`.
	 *
	 * @param array $exporters Registered exporters.
	 * @return array
	 */
	public function register_exporter( $exporters ): array {
		$exporters              = is_array( $exporters ) ? $exporters : array();
		$exporters[ self::KEY ] = array(
			'exporter_friendly_name' => __( 'Video consultation recordings', 'bookingx-video-consultation' ),
			'callback'               => array( $this, 'export' ),
		);
		return $exporters;
	}

	/**
	 * Adds the eraser, hooked on `wp_privacy_personal_data_erasers`.
	 *
	 * @param array $erasers Registered erasers.
	 * @return array
	 */
	public function register_eraser( $erasers ): array {
		$erasers              = is_array( $erasers ) ? $erasers : array();
		$erasers[ self::KEY ] = array(
			'eraser_friendly_name' => __( 'Video consultation recordings', 'bookingx-video-consultation' ),
			'callback'             => array( $this, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * Erases every recording of the consultations booked with this e-mail address (video,
	 * poster, transcript and row). One page does all: the sidecar removes them in one call.
	 *
	 * When the sidecar cannot be reached or refuses, nothing is claimed as removed: the answer says
	 * that data was retained and why, so the admin can run the erasure again later.
	 *
	 * @param string $email_address The customer's e-mail address.
	 * @param int    $page          Page number (unused: one page).
	 * @return array{items_removed: bool, items_retained: bool, messages: string[], done: bool}
	 */
	public function erase( $email_address, $page = 1 ): array {
		unset( $page );
		$body   = (string) wp_json_encode( array( 'email' => (string) $email_address ) );
		$result = $this->call( 'POST', self::ERASE_PATH, $body );

		if ( is_wp_error( $result ) || ! isset( $result['deleted'] ) || ! is_numeric( $result['deleted'] ) ) {
			$unreachable = is_wp_error( $result ) && 'sidecar_unavailable' === $result->get_error_code();
			return array(
				'items_removed'  => false,
				'items_retained' => true,
				'messages'       => array(
					$unreachable
						? __( 'Video consultation recordings could not be erased because the video consultation service is not reachable right now. Please run the erasure again in a few minutes.', 'bookingx-video-consultation' )
						: __( 'Video consultation recordings could not be erased because the video consultation service refused the request. Please check its log and run the erasure again.', 'bookingx-video-consultation' ),
				),
				'done'           => true,
			);
		}

		$deleted  = (int) $result['deleted'];
		$messages = array();
		if ( $deleted > 0 ) {
			$messages[] = sprintf(
				/* translators: %d: number of recordings deleted. */
				_n( '%d video consultation recording was deleted.', '%d video consultation recordings were deleted.', $deleted, 'bookingx-video-consultation' ),
				$deleted
			);
		}
		return array(
			'items_removed'  => $deleted > 0,
			'items_retained' => false,
			'messages'       => $messages,
			'done'           => true,
		);
	}

	/**
	 * Exports what is known about the recordings of the consultations booked with this e-mail
	 * address (not the media itself: the admin can download it from the recordings screen).
	 *
	 * @param string $email_address The customer's e-mail address.
	 * @param int    $page          Page number (unused: one page).
	 * @return array{data: array, done: bool}|WP_Error
	 */
	public function export( $email_address, $page = 1 ) {
		unset( $page );
		$path   = self::LIST_PATH . '?customer_email=' . rawurlencode( (string) $email_address );
		$result = $this->call( 'GET', $path, '' );
		if ( is_wp_error( $result ) || ! isset( $result['recordings'] ) || ! is_array( $result['recordings'] ) ) {
			$unreachable = is_wp_error( $result ) && 'sidecar_unavailable' === $result->get_error_code();
			return new WP_Error(
				$unreachable ? 'sidecar_unavailable' : 'sidecar_error',
				$unreachable
					? __( 'Video consultation recordings could not be exported because the video consultation service is not reachable right now. Please try again in a few minutes.', 'bookingx-video-consultation' )
					: __( 'Video consultation recordings could not be exported because the video consultation service refused the request. Please check its log and try again.', 'bookingx-video-consultation' )
			);
		}

		$items = array();
		foreach ( $result['recordings'] as $recording ) {
			if ( is_array( $recording ) && isset( $recording['id'] ) ) {
				$items[] = array(
					'group_id'          => self::GROUP_ID,
					'group_label'       => __( 'Video consultation recordings', 'bookingx-video-consultation' ),
					'group_description' => __( 'Recordings of your video consultations.', 'bookingx-video-consultation' ),
					'item_id'           => self::GROUP_ID . '-' . (int) $recording['id'],
					'data'              => $this->export_fields( $recording ),
				);
			}
		}
		return array(
			'data' => $items,
			'done' => true,
		);
	}

	/**
	 * The name/value pairs of one exported recording.
	 *
	 * @param array $recording A recording as the sidecar describes it.
	 * @return array<int, array{name: string, value: string}>
	 */
	private function export_fields( array $recording ): array {
		$yes_no = function ( $value ): string {
			return $value ? __( 'Yes', 'bookingx-video-consultation' ) : __( 'No', 'bookingx-video-consultation' );
		};
		$fields = array(
			array( __( 'Recording', 'bookingx-video-consultation' ), (string) (int) $recording['id'] ),
			array( __( 'Consultation date', 'bookingx-video-consultation' ), $this->local_time( $recording['scheduled_start'] ?? null ) ),
			array( __( 'Recorded', 'bookingx-video-consultation' ), $this->local_time( $recording['created_at'] ?? null ) ),
			array( __( 'Status', 'bookingx-video-consultation' ), $this->status_label( $recording['status'] ?? '' ) ),
			array( __( 'Duration (seconds)', 'bookingx-video-consultation' ), isset( $recording['duration_seconds'] ) ? (string) (int) $recording['duration_seconds'] : '' ),
			array( __( 'Shared with customer', 'bookingx-video-consultation' ), $yes_no( ! empty( $recording['shared_with_customer'] ) ) ),
			array( __( 'Transcript', 'bookingx-video-consultation' ), $yes_no( ! empty( $recording['has_transcript'] ) ) ),
			array( __( 'Downloads', 'bookingx-video-consultation' ), isset( $recording['download_count'] ) ? (string) (int) $recording['download_count'] : '0' ),
			array( __( 'Deleted automatically on', 'bookingx-video-consultation' ), $this->local_time( $recording['expires_at'] ?? null ) ),
		);
		$data   = array();
		foreach ( $fields as list( $name, $value ) ) {
			if ( '' !== $value ) {
				$data[] = array(
					'name'  => $name,
					'value' => $value,
				);
			}
		}
		return $data;
	}

	/**
	 * The translated name of a recording status.
	 *
	 * @param mixed $status Status from the sidecar.
	 * @return string
	 */
	private function status_label( $status ): string {
		switch ( $status ) {
			case 'downloading':
			case 'processing':
				return __( 'Being prepared', 'bookingx-video-consultation' );
			case 'available':
				return __( 'Available', 'bookingx-video-consultation' );
			case 'failed':
				return __( 'Failed', 'bookingx-video-consultation' );
			default:
				return is_string( $status ) ? $status : '';
		}
	}

	/**
	 * An ISO 8601 UTC time in the site's timezone and date format, or ''.
	 *
	 * @param mixed $iso Time from the sidecar.
	 * @return string
	 */
	private function local_time( $iso ): string {
		if ( ! is_string( $iso ) || '' === $iso ) {
			return '';
		}
		$timestamp = strtotime( $iso );
		if ( false === $timestamp ) {
			return '';
		}
		return wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $timestamp );
	}

	/**
	 * One signed system call to the sidecar; the decoded JSON on a 2xx answer, else a WP_Error
	 * (logged). Anything printed meanwhile (BookingX forces display_errors) is dropped, so it cannot
	 * end up in the privacy tools' JSON.
	 *
	 * @param string $method HTTP method.
	 * @param string $path   Sidecar path with its query string, exactly as sent.
	 * @param string $body   Raw JSON body ('' for none).
	 * @return array|WP_Error
	 */
	private function call( string $method, string $path, string $body ) {
		$level = ob_get_level();
		ob_start();
		try {
			$headers = array(
				'Accept'         => 'application/json',
				'X-BKX-Identity' => $this->signer->sign_system( $method, $path, $body ),
			);
			if ( '' !== $body ) {
				$headers['Content-Type'] = 'application/json';
			}
			$response = $this->client->send( $method, $path, $headers, $body );
			if ( is_wp_error( $response ) ) {
				return $this->failed( 'sidecar_unavailable', $path, $response->get_error_message() );
			}
			$status = (int) wp_remote_retrieve_response_code( $response );
			$data   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
			if ( $status >= 200 && $status < 300 && is_array( $data ) ) {
				return $data;
			}
			$code = is_array( $data ) && isset( $data['code'] ) && is_string( $data['code'] ) ? $data['code'] : 'no JSON';
			// A proxy in front of a stopped sidecar answers 502-504 without our JSON.
			$gone = ( $status >= 502 && $status <= 504 ) || ! is_array( $data );
			return $this->failed( $gone ? 'sidecar_unavailable' : 'sidecar_error', $path, sprintf( 'HTTP %d (%s)', $status, $code ) );
		} finally {
			while ( ob_get_level() > $level ) {
				ob_end_clean();
			}
		}
	}

	/**
	 * Logs a failed call (without the e-mail address in the query) and returns its error.
	 *
	 * @param string $code   `sidecar_unavailable` (not reached) or `sidecar_error` (it refused).
	 * @param string $path   Sidecar path.
	 * @param string $reason Why, for the log.
	 * @return WP_Error
	 */
	private function failed( string $code, string $path, string $reason ): WP_Error {
		error_log( sprintf( 'BookingX Video Consultation: privacy request %s failed: %s', strtok( $path, '?' ), $reason ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
		return new WP_Error( $code, $reason );
	}
}

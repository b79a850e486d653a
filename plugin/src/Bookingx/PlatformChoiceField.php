<?php
/**
 * "Video platform" field on the BookingX booking form (setting allow_platform_selection).
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Bookingx;

use BookingX\Addons\VideoConsultation\Sidecar\Client;
use BookingX\Addons\VideoConsultation\Sidecar\IdentitySigner;

defined( 'ABSPATH' ) || exit;

/**
 * Lets the customer pick the video platform when the admin allows it. The field is printed on
 * BookingX's `bookingx_form_additional_fields` action; the choice is added to the booking data in
 * `bkx_booking_collection_posts`, which BookingX saves as the booking meta
 * `bkx_video_platform_choice` (reference §3.1 step 2). The sidecar decides: it honours the choice only
 * while the setting is on and the platform is enabled, and records why otherwise.
 */
class PlatformChoiceField {

	/** Field name, booking data key and meta key. */
	const KEY = 'bkx_video_platform_choice';

	/** Transient caching the sidecar's answer (which platforms may be picked). */
	const CACHE = 'bkx_video_selectable_platforms';

	/** How long that answer is kept, in seconds. */
	const CACHE_TTL = 300;

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
		add_action( 'bookingx_form_additional_fields', array( $this, 'render' ) );
		add_filter( 'bkx_booking_collection_posts', array( $this, 'collect' ), 10, 2 );
	}

	/**
	 * The platforms a customer may pick: `[ slug => label ]`, empty when choosing is off or pointless.
	 *
	 * @return array<string, string>
	 */
	public function choices(): array {
		$cached = get_transient( self::CACHE );
		if ( is_array( $cached ) ) {
			return $cached;
		}
		$choices = array();
		if ( $this->client->is_configured() ) {
			$path     = '/v1/platforms/selectable';
			$response = $this->client->send( 'GET', $path, array( 'X-BKX-Identity' => $this->signer->sign_user( wp_get_current_user(), 'GET', $path, '' ) ) );
			if ( ! is_wp_error( $response ) && 200 === (int) wp_remote_retrieve_response_code( $response ) ) {
				$data = json_decode( (string) wp_remote_retrieve_body( $response ), true );
				if ( is_array( $data ) && ! empty( $data['allow_selection'] ) && isset( $data['platforms'] ) && is_array( $data['platforms'] ) ) {
					foreach ( $data['platforms'] as $platform ) {
						if ( is_array( $platform ) && isset( $platform['id'], $platform['label'] ) && preg_match( '/^[a-z]{3,10}$/', (string) $platform['id'] ) ) {
							$choices[ (string) $platform['id'] ] = sanitize_text_field( (string) $platform['label'] );
						}
					}
				}
			} else {
				// Sidecar down: no field now, ask again soon (the booking itself is never blocked).
				set_transient( self::CACHE, array(), 30 );
				return array();
			}
		}
		// One platform is no choice.
		if ( count( $choices ) < 2 ) {
			$choices = array();
		}
		set_transient( self::CACHE, $choices, self::CACHE_TTL );
		return $choices;
	}

	/**
	 * Prints the field. Hooked on `bookingx_form_additional_fields`.
	 *
	 * @return void
	 */
	public function render(): void {
		$choices = $this->choices();
		if ( ! $choices ) {
			return;
		}
		echo '<p class="bkx-video-platform-choice"><label for="' . esc_attr( self::KEY ) . '">' . esc_html__( 'Video platform (for video consultations)', 'bookingx-video-consultation' ) . '</label> ';
		echo '<select name="' . esc_attr( self::KEY ) . '" id="' . esc_attr( self::KEY ) . '">';
		echo '<option value="">' . esc_html__( 'No preference', 'bookingx-video-consultation' ) . '</option>';
		foreach ( $choices as $slug => $label ) {
			echo '<option value="' . esc_attr( $slug ) . '">' . esc_html( $label ) . '</option>';
		}
		echo '</select></p>';
	}

	/**
	 * Adds the customer's choice to the booking data. Hooked on `bkx_booking_collection_posts`.
	 *
	 * @param array $data      Booking data BookingX is about to save.
	 * @param mixed $post_data The posted form.
	 * @return array
	 */
	public function collect( $data, $post_data ) {
		if ( ! is_array( $data ) || ! is_array( $post_data ) || ! isset( $post_data[ self::KEY ] ) ) {
			return $data;
		}
		$choice = sanitize_key( wp_unslash( (string) $post_data[ self::KEY ] ) );
		if ( '' !== $choice && array_key_exists( $choice, $this->choices() ) ) {
			$data[ self::KEY ] = $choice;
		}
		return $data;
	}
}

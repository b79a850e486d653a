<?php
/**
 * Video options on BookingX services.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Admin;

use WP_Post;

defined( 'ABSPATH' ) || exit;

/**
 * A meta box on `bkx_base` (BookingX service) posts: whether bookings of the service are video
 * consultations, and on which platform.
 */
class ServiceMetaBox {

	/** The BookingX service post type. */
	const POST_TYPE = 'bkx_base';

	/** Meta key: '1' when the service is a video service. */
	const META_ENABLED = '_bkx_video_enabled';

	/** Meta key: platform slug; absent for the default platform. */
	const META_PLATFORM = '_bkx_video_platform';

	/** Nonce action and field. */
	const NONCE = 'bkx_video_service_meta';

	/**
	 * Adds the hooks.
	 *
	 * @return void
	 */
	public function init(): void {
		add_action( 'add_meta_boxes_' . self::POST_TYPE, array( $this, 'add' ) );
		add_action( 'save_post_' . self::POST_TYPE, array( $this, 'save' ), 10, 1 );
	}

	/**
	 * Platform slugs and labels; '' means the default platform from the settings.
	 *
	 * @return array<string, string>
	 */
	private function platforms(): array {
		return array(
			''       => __( 'Default platform', 'bookingx-video-consultation' ),
			'zoom'   => __( 'Zoom', 'bookingx-video-consultation' ),
			'teams'  => __( 'Microsoft Teams', 'bookingx-video-consultation' ),
			'meet'   => __( 'Google Meet', 'bookingx-video-consultation' ),
			'jitsi'  => __( 'Jitsi Meet', 'bookingx-video-consultation' ),
			'webrtc' => __( 'Built-in video room', 'bookingx-video-consultation' ),
		);
	}

	/**
	 * Registers the meta box. Hooked on `add_meta_boxes_bkx_base`.
	 *
	 * @return void
	 */
	public function add(): void {
		add_meta_box(
			'bkx-video-service',
			__( 'Video consultation', 'bookingx-video-consultation' ),
			array( $this, 'render' ),
			self::POST_TYPE,
			'side'
		);
	}

	/**
	 * Prints the meta box.
	 *
	 * @param WP_Post $post The service.
	 * @return void
	 */
	public function render( $post ): void {
		$enabled  = '1' === get_post_meta( $post->ID, self::META_ENABLED, true );
		$platform = (string) get_post_meta( $post->ID, self::META_PLATFORM, true );

		wp_nonce_field( self::NONCE, self::NONCE );
		?>
		<p>
			<label>
				<input type="checkbox" name="bkx_video_enabled" value="1" <?php checked( $enabled ); ?> />
				<?php esc_html_e( 'Video consultation', 'bookingx-video-consultation' ); ?>
			</label>
		</p>
		<p>
			<label for="bkx_video_platform"><?php esc_html_e( 'Platform', 'bookingx-video-consultation' ); ?></label><br />
			<select name="bkx_video_platform" id="bkx_video_platform">
				<?php foreach ( $this->platforms() as $slug => $label ) : ?>
					<option value="<?php echo esc_attr( $slug ); ?>" <?php selected( $platform, $slug ); ?>><?php echo esc_html( $label ); ?></option>
				<?php endforeach; ?>
			</select>
		</p>
		<?php
	}

	/**
	 * Saves the meta box. Hooked on `save_post_bkx_base`.
	 *
	 * @param int $post_id The service.
	 * @return void
	 */
	public function save( $post_id ): void {
		if ( ! isset( $_POST[ self::NONCE ] ) || ! wp_verify_nonce( sanitize_text_field( wp_unslash( $_POST[ self::NONCE ] ) ), self::NONCE ) ) {
			return;
		}
		if ( ( defined( 'DOING_AUTOSAVE' ) && DOING_AUTOSAVE ) || wp_is_post_revision( $post_id ) ) {
			return;
		}
		if ( ! current_user_can( 'edit_post', $post_id ) ) {
			return;
		}

		if ( isset( $_POST['bkx_video_enabled'] ) && '1' === sanitize_text_field( wp_unslash( $_POST['bkx_video_enabled'] ) ) ) {
			update_post_meta( $post_id, self::META_ENABLED, '1' );
		} else {
			delete_post_meta( $post_id, self::META_ENABLED );
		}

		$platform = isset( $_POST['bkx_video_platform'] ) ? sanitize_key( wp_unslash( $_POST['bkx_video_platform'] ) ) : '';
		if ( '' !== $platform && array_key_exists( $platform, $this->platforms() ) ) {
			update_post_meta( $post_id, self::META_PLATFORM, $platform );
		} else {
			delete_post_meta( $post_id, self::META_PLATFORM );
		}
	}
}

<?php
/**
 * Recordings resource.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `video/recordings`, `video/recordings/<id>` and `video/recordings/<id>/link`, forwarded to the
 * sidecar's `/v1/recordings/...`.
 *
 * Open to logged-in users and to guests carrying `?bkx_vc=<access token>`; the sidecar decides who
 * may list, play, share or delete which recording. The bytes never pass through here: the link
 * route answers a short-lived signed URL that the browser fetches from the sidecar's public URL.
 */
class RecordingsRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'recordings';

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		$permission = array( $this, 'user_or_token_permission' );
		$token_arg  = $this->token_arg();
		$id_arg     = $this->id_arg( __( 'Recording id.', 'bookingx-video-consultation' ) );

		return array(
			self::PATH_PREFIX . '/recordings'                    => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge(
						array(
							'consultation_id' => array(
								'description' => __( 'Only the recordings of this consultation.', 'bookingx-video-consultation' ),
								'type'        => 'integer',
							),
							'search'          => array(
								'description' => __( 'Words to find in the transcripts and customer names.', 'bookingx-video-consultation' ),
								'type'        => 'string',
							),
						),
						$token_arg
					),
				),
			),
			self::PATH_PREFIX . '/recordings/(?P<id>\d+)'        => array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge( $id_arg, $token_arg ),
				),
				array(
					'methods'             => WP_REST_Server::EDITABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge(
						$id_arg,
						array(
							'shared_with_customer' => array(
								'description' => __( 'Whether the customer may watch the recording.', 'bookingx-video-consultation' ),
								'type'        => 'boolean',
							),
						)
					),
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => $id_arg,
				),
			),
			self::PATH_PREFIX . '/recordings/(?P<id>\d+)/link' => array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => $permission,
					'args'                => array_merge(
						$id_arg,
						$token_arg,
						array(
							'kind'     => array(
								'description' => __( 'Which file the link opens: video (default), poster or transcript.', 'bookingx-video-consultation' ),
								'type'        => 'string',
							),
							'download' => array(
								'description' => __( 'Whether the link downloads the file rather than playing it. Download links expire after a few minutes.', 'bookingx-video-consultation' ),
								'type'        => 'boolean',
							),
						)
					),
				),
			),
		);
	}
}

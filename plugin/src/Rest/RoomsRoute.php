<?php
/**
 * Built-in room tickets.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `video/rooms/<room>/ticket`, forwarded to the sidecar's `/v1/rooms/<room>/ticket`.
 *
 * The meeting-room block asks for a ticket before it opens the room's signaling socket on the
 * sidecar, and again on every reconnect. Open to logged-in users and to guests carrying
 * `?bkx_vc=<access token>`; the sidecar decides who may enter which room.
 */
class RoomsRoute extends ProxyRoute {

	/** Identifier of the resource. */
	const IDENTIFIER = 'rooms';

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		return array(
			self::PATH_PREFIX . '/rooms/(?P<room>r_[a-z0-9]{20})/ticket' => array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'proxy' ),
					'permission_callback' => array( $this, 'user_or_token_permission' ),
					'args'                => array_merge(
						array(
							'room' => array(
								'description' => __( 'Room id, from the room link.', 'bookingx-video-consultation' ),
								'type'        => 'string',
								'pattern'     => '^r_[a-z0-9]{20}$',
								'required'    => true,
							),
						),
						$this->token_arg()
					),
				),
			),
		);
	}
}

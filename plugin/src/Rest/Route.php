<?php
/**
 * Contract of a REST route class.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

defined( 'ABSPATH' ) || exit;

/**
 * One class per resource. RouteRegistry registers what get_routes() returns under `bookingx/v1`.
 */
interface Route {

	/** REST namespace of every route of the plugin. */
	const REST_NAMESPACE = 'bookingx/v1';

	/**
	 * The resource's paths (relative to the namespace) mapped to register_rest_route() arguments.
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array;
}

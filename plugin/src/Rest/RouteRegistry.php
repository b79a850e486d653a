<?php
/**
 * Registers every REST route of the plugin.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use BookingX\Addons\VideoConsultation\Sidecar\Client;
use BookingX\Addons\VideoConsultation\Sidecar\Config;
use BookingX\Addons\VideoConsultation\Sidecar\IdentitySigner;

defined( 'ABSPATH' ) || exit;

/**
 * One register_rest_route() loop over the route classes.
 */
final class RouteRegistry {

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
	 * Connection settings (the secret the mail relay verifies with).
	 *
	 * @var Config
	 */
	private $config;

	/**
	 * Constructor.
	 *
	 * @param Client         $client Sidecar client.
	 * @param IdentitySigner $signer Identity signer.
	 * @param Config         $config Connection settings.
	 */
	public function __construct( Client $client, IdentitySigner $signer, Config $config ) {
		$this->client = $client;
		$this->signer = $signer;
		$this->config = $config;
	}

	/**
	 * Adds the hooks.
	 *
	 * @return void
	 */
	public function init(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
		// After core's CORS headers (priority 10), serve pass-through answers byte for byte.
		add_filter( 'rest_pre_serve_request', array( RawResponse::class, 'serve' ), 20, 2 );
	}

	/**
	 * The route classes, keyed by their IDENTIFIER.
	 *
	 * @return array<string, Route>
	 */
	public function get_route_classes(): array {
		$routes = array(
			new ConsultationsRoute( $this->client, $this->signer ),
			new RecordingsRoute( $this->client, $this->signer ),
			new RoomsRoute( $this->client, $this->signer ),
			new NotesRoute( $this->client, $this->signer ),
			new SettingsRoute( $this->client, $this->signer ),
			new PlatformsRoute( $this->client, $this->signer ),
			new StatusRoute( $this->client, $this->signer ),
			new WebhookRoute( $this->client, $this->signer ),
			new MailRelayRoute( $this->config ),
			new HealthRelayRoute( $this->config ),
			new EventRelayRoute( $this->config ),
		);
		$keyed = array();
		foreach ( $routes as $route ) {
			$keyed[ $route::IDENTIFIER ] = $route;
		}
		return $keyed;
	}

	/**
	 * Registers every route, hooked on `rest_api_init`.
	 *
	 * @return void
	 */
	public function register_routes(): void {
		foreach ( $this->get_route_classes() as $route ) {
			foreach ( $route->get_routes() as $path => $args ) {
				register_rest_route( Route::REST_NAMESPACE, $path, $args );
			}
		}
	}
}

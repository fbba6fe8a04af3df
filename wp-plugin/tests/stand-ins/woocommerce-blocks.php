<?php
/**
 * Stand-ins for WooCommerce Blocks' extension points, tests only: the IntegrationInterface and
 * IntegrationRegistry of the Cart/Checkout blocks, the Store API's CartSchema identifier, and
 * woocommerce_store_api_register_update_callback() / woocommerce_store_api_register_endpoint_data()
 * with what the Store API does with them (Bikri\Tests\Store_Api: the cart/extensions route runs
 * the namespace's callback, then answers the cart, whose "extensions" holds each namespace's
 * data_callback). Same names and arguments as WooCommerce's; only what Bikri uses.
 *
 * Loaded by the PHPUnit bootstrap, and by checkout-page.php (the browser tests' must-use plugin).
 *
 * @package Bikri
 */

namespace Automattic\WooCommerce\Blocks\Integrations {

	if ( ! interface_exists( __NAMESPACE__ . '\IntegrationInterface' ) ) {
		/**
		 * As WooCommerce Blocks' IntegrationInterface.
		 */
		interface IntegrationInterface {
			/**
			 * The name of the integration.
			 *
			 * @return string
			 */
			public function get_name();

			/**
			 * Invokes any initialization/setup for the integration.
			 */
			public function initialize();

			/**
			 * Script handles to enqueue in the frontend context.
			 *
			 * @return string[]
			 */
			public function get_script_handles();

			/**
			 * Script handles to enqueue in the editor context.
			 *
			 * @return string[]
			 */
			public function get_editor_script_handles();

			/**
			 * Key, value pairs of data made available to the block on the client side.
			 *
			 * @return array
			 */
			public function get_script_data();
		}
	}

	if ( ! class_exists( __NAMESPACE__ . '\IntegrationRegistry' ) ) {
		/**
		 * As WooCommerce Blocks' IntegrationRegistry: initialize() fires
		 * woocommerce_blocks_{id}_registration with the registry, then initializes each integration.
		 */
		class IntegrationRegistry {

			/**
			 * Registered integrations, name => instance.
			 *
			 * @var IntegrationInterface[]
			 */
			protected $registered_integrations = array();

			/**
			 * Fires the registration hook and initializes the integrations.
			 *
			 * @param string $registry_identifier For example checkout_block.
			 */
			public function initialize( $registry_identifier ) {
				do_action( 'woocommerce_blocks_' . $registry_identifier . '_registration', $this );
				foreach ( $this->registered_integrations as $integration ) {
					$integration->initialize();
				}
			}

			/**
			 * Registers an integration (a name is taken once).
			 *
			 * @param IntegrationInterface $integration The integration.
			 * @return bool
			 */
			public function register( IntegrationInterface $integration ) {
				$name = $integration->get_name();
				if ( isset( $this->registered_integrations[ $name ] ) ) {
					return false;
				}
				$this->registered_integrations[ $name ] = $integration;
				return true;
			}

			/**
			 * The registered integrations.
			 *
			 * @return IntegrationInterface[]
			 */
			public function get_all_registered() {
				return $this->registered_integrations;
			}

			/**
			 * Every integration's front-end script handles.
			 *
			 * @return string[]
			 */
			public function get_all_registered_script_handles() {
				$handles = array();
				foreach ( $this->registered_integrations as $integration ) {
					$handles = array_merge( $handles, $integration->get_script_handles() );
				}
				return array_unique( array_filter( $handles ) );
			}

			/**
			 * Every integration's script data, keyed "{name}_data" (as wcSettings holds it).
			 *
			 * @return array
			 */
			public function get_all_registered_script_data() {
				$data = array();
				foreach ( $this->registered_integrations as $integration ) {
					$data[ $integration->get_name() . '_data' ] = $integration->get_script_data();
				}
				return $data;
			}
		}
	}
}

namespace Automattic\WooCommerce\StoreApi\Schemas\V1 {

	if ( ! class_exists( __NAMESPACE__ . '\CartSchema' ) ) {
		/**
		 * As the Store API's CartSchema: its identifier for ExtendSchema.
		 */
		class CartSchema {
			const IDENTIFIER = 'cart';
		}
	}
}

namespace Bikri\Tests {

	if ( ! class_exists( __NAMESPACE__ . '\Store_Api' ) ) {
		/**
		 * What the Store API's ExtendSchema keeps, and what its cart/extensions route does with it.
		 */
		class Store_Api {

			/**
			 * Update callbacks, namespace => callable.
			 *
			 * @var callable[]
			 */
			public static $update_callbacks = array();

			/**
			 * Endpoint data, endpoint => namespace => args.
			 *
			 * @var array
			 */
			public static $endpoint_data = array();

			/**
			 * Forgets every registration (between tests).
			 */
			public static function reset() {
				self::$update_callbacks = array();
				self::$endpoint_data    = array();
			}

			/**
			 * POST wc/store/v1/cart/extensions {namespace, data}: the namespace's callback runs
			 * (an exception it throws is the route's error), then the cart's extensions are answered.
			 *
			 * @param string $namespace The namespace.
			 * @param array  $data      The data.
			 * @return array|\WP_Error The cart's "extensions", or the route's error.
			 */
			public static function cart_extensions( $namespace, $data ) {
				if ( ! isset( self::$update_callbacks[ $namespace ] ) ) {
					/* As the Store API's answer: woocommerce_rest_cart_extensions_error, 400. */
					return new \WP_Error( 'woocommerce_rest_cart_extensions_error', 'There is no such namespace registered: ' . $namespace . '.', array( 'status' => 400 ) );
				}
				try {
					call_user_func( self::$update_callbacks[ $namespace ], $data );
				} catch ( \Automattic\WooCommerce\StoreApi\Exceptions\RouteException $error ) {
					return new \WP_Error( $error->getErrorCode(), $error->getMessage(), array( 'status' => $error->getCode() ) );
				}
				return self::extensions( 'cart' );
			}

			/**
			 * An endpoint's "extensions": each namespace's data_callback.
			 *
			 * @param string $endpoint The endpoint identifier.
			 * @return array
			 */
			public static function extensions( $endpoint ) {
				$extensions = array();
				foreach ( isset( self::$endpoint_data[ $endpoint ] ) ? self::$endpoint_data[ $endpoint ] : array() as $namespace => $args ) {
					$extensions[ $namespace ] = call_user_func( $args['data_callback'] );
				}
				return $extensions;
			}
		}
	}
}

namespace {

	if ( ! function_exists( 'woocommerce_store_api_register_update_callback' ) ) {
		/**
		 * As the Store API's: a callback for the cart/extensions route (the last one per namespace).
		 *
		 * @param array $args {namespace, callback}.
		 * @return bool
		 * @throws Exception No namespace, or a callback that cannot be called (as ExtendSchema).
		 */
		function woocommerce_store_api_register_update_callback( $args ) {
			if ( empty( $args['namespace'] ) || ! is_string( $args['namespace'] ) ) {
				throw new Exception( 'You must provide a plugin namespace when extending a Store REST endpoint.' );
			}
			if ( ! isset( $args['callback'] ) || ! is_callable( $args['callback'] ) ) {
				throw new Exception( 'There is no valid callback supplied to register_update_callback.' );
			}
			// A second registration for a namespace replaces the first, as ExtendSchema's.
			\Bikri\Tests\Store_Api::$update_callbacks[ $args['namespace'] ] = $args['callback'];
			return true;
		}
	}

	if ( ! function_exists( 'woocommerce_store_api_register_endpoint_data' ) ) {
		/**
		 * As the Store API's: data under a namespace in an endpoint's "extensions".
		 *
		 * @param array $args {endpoint, namespace, data_callback, schema_callback, schema_type}.
		 * @return bool
		 * @throws Exception Missing arguments (as ExtendSchema).
		 */
		function woocommerce_store_api_register_endpoint_data( $args ) {
			foreach ( array( 'endpoint', 'namespace' ) as $key ) {
				if ( empty( $args[ $key ] ) || ! is_string( $args[ $key ] ) ) {
					throw new Exception( '$' . $key . ' must be a string.' );
				}
			}
			foreach ( array( 'data_callback', 'schema_callback' ) as $key ) {
				if ( isset( $args[ $key ] ) && ! is_callable( $args[ $key ] ) ) {
					throw new Exception( '$' . $key . ' must be a callable function.' );
				}
			}
			\Bikri\Tests\Store_Api::$endpoint_data[ $args['endpoint'] ][ $args['namespace'] ] = $args;
			return true;
		}
	}
}

<?php
/**
 * Base class for the plugin's tests: each test runs inside a database transaction that is
 * rolled back, with remote calls, redirects and wp_die() captured.
 *
 * @package Bikri
 */

use PHPUnit\Framework\TestCase;

/**
 * Thrown by the wp_redirect filter so a handler's redirect can be asserted instead of exiting.
 */
class Bikri_Test_Redirect extends Exception {

	/**
	 * Where the redirect went.
	 *
	 * @var string
	 */
	public $location;

	/**
	 * Records the location.
	 *
	 * @param string $location Redirect target.
	 */
	public function __construct( $location ) {
		parent::__construct( 'redirect to ' . $location );
		$this->location = $location;
	}
}

/**
 * Thrown by the wp_die handler so a refusal can be asserted instead of exiting.
 */
class Bikri_Test_Die extends Exception {

	/**
	 * HTTP status wp_die() was given.
	 *
	 * @var int
	 */
	public $status;

	/**
	 * Records message and status.
	 *
	 * @param string $message Message.
	 * @param int    $status  HTTP status.
	 */
	public function __construct( $message, $status ) {
		parent::__construct( $message );
		$this->status = $status;
	}
}

/**
 * Common set-up for the Bikri tests.
 */
abstract class Bikri_Test_Case extends TestCase {

	const SERVICE = 'http://service.test';

	/**
	 * The order export key activate_locally() stores (the service's activation answer's export_key).
	 */
	const EXPORT_KEY = '5e6c2f0d8a9b41c37d2e86f15a0b9c4d3e7f61a28b5c09d4e3f7a16b2c8d05e9';

	/**
	 * Requests that reached pre_http_request: each [url, args, decoded JSON body].
	 *
	 * @var array[]
	 */
	protected $requests = array();

	/**
	 * Answers for the stubbed service: callable( string $method, string $path, array $body, array $args ) returning a response array or WP_Error.
	 *
	 * @var callable|null
	 */
	protected $service = null;

	/**
	 * Filters added by a test, removed in tearDown: [hook, callback, priority].
	 *
	 * @var array[]
	 */
	private $filters = array();

	/**
	 * The plugin.
	 *
	 * @var Bikri_Plugin
	 */
	protected $plugin;

	protected function setUp(): void {
		global $wpdb;
		parent::setUp();
		$wpdb->query( 'START TRANSACTION' );
		wp_cache_flush();

		$this->plugin   = Bikri_Plugin::instance();
		Bikri\Tests\Action_Scheduler::reset();
		WC_Order::$saved = array();
		$this->requests = array();
		$this->service  = null;
		$_POST          = array();
		$_GET           = array();
		$_REQUEST       = array();
		wp_set_current_user( 0 );

		$this->add_filter( 'pre_http_request', array( $this, 'filter_pre_http_request' ), 10, 3 );
		$this->add_filter(
			'wp_redirect',
			static function ( $location ) {
				throw new Bikri_Test_Redirect( $location );
			}
		);
		$this->add_filter(
			'wp_die_handler',
			static function () {
				return static function ( $message, $title = '', $args = array() ) {
					$status = is_array( $args ) && isset( $args['response'] ) ? (int) $args['response'] : 500;
					throw new Bikri_Test_Die( is_wp_error( $message ) ? $message->get_error_message() : (string) $message, $status );
				};
			}
		);
	}

	/**
	 * The request is a shopper's: from 203.0.113.10, with no cookies yet (tearDown clears those
	 * the test sets).
	 */
	protected function as_a_shopper() {
		$_COOKIE                = array();
		$_SERVER['REMOTE_ADDR'] = '203.0.113.10';
	}

	/**
	 * The request has WooCommerce's session and an empty cart (tearDown drops both).
	 */
	protected function with_a_cart() {
		WC()->session = new WC_Session_Handler();
		WC()->cart    = new WC_Cart();
	}

	/**
	 * Runs the handlers of an action and expects them to stop with a 403 (wp_die).
	 *
	 * @param string $action The action whose handlers run.
	 * @param string $why    What the failure message says must refuse it.
	 */
	protected function assert_refused( $action, $why ) {
		try {
			do_action( $action );
			$this->fail( $why );
		} catch ( Bikri_Test_Die $die ) {
			$this->assertSame( 403, $die->status );
		}
	}

	protected function tearDown(): void {
		global $wpdb;
		foreach ( $this->filters as $filter ) {
			remove_filter( $filter[0], $filter[1], $filter[2] );
		}
		$this->filters = array();
		// Events a test recorded but did not flush must not leak into the next test.
		$this->plugin->sync->clear();
		$wpdb->query( 'ROLLBACK' );
		wp_cache_flush();
		wp_set_current_user( 0 );
		$_POST                     = array();
		$_GET                      = array();
		$_REQUEST                  = array();
		$_COOKIE                   = array();
		$GLOBALS['current_screen'] = null;
		WC()->session              = null;
		WC()->cart                 = null;
		parent::tearDown();
	}

	/**
	 * add_filter() that tearDown undoes.
	 *
	 * @param string   $hook     Hook.
	 * @param callable $callback Callback.
	 * @param int      $priority Priority.
	 * @param int      $args     Accepted arguments.
	 */
	protected function add_filter( $hook, $callback, $priority = 10, $args = 1 ) {
		add_filter( $hook, $callback, $priority, $args );
		$this->filters[] = array( $hook, $callback, $priority );
	}

	/**
	 * Answers remote calls with $this->service and records them. Unstubbed calls fail the test.
	 *
	 * @param false|array $pre  Short-circuit value.
	 * @param array       $args Request arguments.
	 * @param string      $url  URL.
	 * @return array|WP_Error
	 */
	public function filter_pre_http_request( $pre, $args, $url ) {
		$body             = isset( $args['body'] ) && is_string( $args['body'] ) ? json_decode( $args['body'], true ) : null;
		$this->requests[] = array( $url, $args, $body );
		if ( null === $this->service ) {
			$this->fail( 'Unexpected remote call: ' . $args['method'] . ' ' . $url );
		}
		$path = (string) wp_parse_url( $url, PHP_URL_PATH );
		return call_user_func( $this->service, $args['method'], $path, is_array( $body ) ? $body : array(), $args );
	}

	/**
	 * A response as WP_Http returns it.
	 *
	 * @param int        $status HTTP status.
	 * @param array|null $json   Body to JSON-encode, or null for none.
	 * @return array
	 */
	protected static function response( $status, $json = null ) {
		return array(
			'headers'  => array( 'content-type' => 'application/json' ),
			'body'     => null === $json ? '' : wp_json_encode( $json ),
			'response' => array(
				'code'    => $status,
				'message' => get_status_header_desc( $status ),
			),
			'cookies'  => array(),
			'filename' => null,
		);
	}

	/**
	 * The service's answer to a batch of events (POST /api/v1/events and the like): one result
	 * per event, in the batch's order, its idempotency key first.
	 *
	 * @param int      $status    HTTP status.
	 * @param array    $events    The batch's events.
	 * @param callable $result_of Event => the rest of its result (status, error...).
	 * @return array
	 */
	protected static function events_response( $status, array $events, callable $result_of ) {
		$results = array();
		foreach ( $events as $event ) {
			$results[] = array_merge( array( 'idempotency_key' => $event['idempotency_key'] ), $result_of( $event ) );
		}
		return self::response( $status, array( 'results' => $results ) );
	}

	/**
	 * The service's error body.
	 *
	 * @param int    $status  HTTP status.
	 * @param string $code    Error code.
	 * @param string $message Message.
	 * @param mixed  $details Details.
	 * @return array
	 */
	protected static function error_response( $status, $code, $message, $details = null ) {
		return self::response(
			$status,
			array(
				'error' => array(
					'code'    => $code,
					'message' => $message,
					'details' => $details,
				),
			)
		);
	}

	/**
	 * The service's answer to GET /api/v1/checkout/config.
	 *
	 * @param int        $version   Settings version.
	 * @param array      $otp       The otp part (enabled, balance_ok, ...).
	 * @param array|null $blacklist The blacklist part (message, phones, emails, ips); null: "you have the current one".
	 * @return array
	 */
	protected static function checkout_config( $version, array $otp, $blacklist = array() ) {
		return self::response(
			200,
			array(
				'version'   => $version,
				'otp'       => $otp,
				'blacklist' => null === $blacklist ? null : array_merge(
					array(
						'message' => null,
						'phones'  => array(),
						'emails'  => array(),
						'ips'     => array(),
					),
					$blacklist
				),
			)
		);
	}

	/**
	 * Creates a user (rolled back with the test) and signs them in.
	 *
	 * @param string $role Role.
	 * @return WP_User
	 */
	protected function sign_in( $role ) {
		$id = wp_insert_user(
			array(
				'user_login'   => $role . '_' . wp_generate_password( 6, false ),
				'user_pass'    => wp_generate_password(),
				'user_email'   => $role . wp_generate_password( 6, false ) . '@example.com',
				'display_name' => 'Rahim Uddin (রহিম)',
				'role'         => $role,
			)
		);
		$this->assertIsInt( $id );
		wp_set_current_user( $id );
		return wp_get_current_user();
	}

	/**
	 * Stores an active license, checked at $checked_at.
	 *
	 * @param int $checked_at Unix time of the last check.
	 */
	protected function activate_locally( $checked_at = null ) {
		update_option( Bikri_License::OPTION_SERVICE_URL, self::SERVICE, false );
		$this->plugin->license->save_activation(
			'site-token-123',
			array(
				'status'     => 'active',
				'plan'       => 'growth',
				'expires_at' => '2030-01-31T00:00:00Z',
			),
			null === $checked_at ? time() : $checked_at,
			self::EXPORT_KEY
		);
	}

	/**
	 * An active site whose stored copy of the checkout settings holds these values.
	 *
	 * @param array $copy Settings of the copy (version and sync time are added).
	 */
	protected function activate_with_checkout_copy( array $copy ) {
		$this->activate_locally();
		update_option(
			Bikri_Checkout_Config::OPTION,
			array_merge(
				array(
					'version'   => 1,
					'synced_at' => time(),
				),
				$copy
			)
		);
	}

	/**
	 * Builds the admin menu as wp-admin/menu.php would, for the signed-in user.
	 */
	protected function build_menu() {
		$GLOBALS['menu']                 = array();
		$GLOBALS['submenu']              = array();
		$GLOBALS['_registered_pages']    = array();
		$GLOBALS['_parent_pages']        = array();
		$GLOBALS['admin_page_hooks']     = array();
		$GLOBALS['_wp_submenu_nopriv']   = array();
		$GLOBALS['_wp_real_parent_file'] = array();
		do_action( 'admin_menu', '' );
	}

	/**
	 * Runs a callable that must redirect; returns where to.
	 *
	 * @param callable $callable Code under test.
	 * @return string
	 */
	protected function redirect_of( callable $callable ) {
		try {
			$callable();
		} catch ( Bikri_Test_Redirect $redirect ) {
			return $redirect->location;
		}
		$this->fail( 'Expected a redirect.' );
	}

	/**
	 * Output of a callable.
	 *
	 * @param callable $callable Code under test.
	 * @return string
	 */
	protected function output_of( callable $callable ) {
		ob_start();
		try {
			$callable();
		} finally {
			$output = ob_get_clean();
		}
		return $output;
	}

	/**
	 * Output of an action.
	 *
	 * @param string $hook    Action.
	 * @param mixed  ...$args Its arguments.
	 * @return string
	 */
	protected function output_of_action( $hook, ...$args ) {
		return $this->output_of(
			static function () use ( $hook, $args ) {
				do_action( $hook, ...$args );
			}
		);
	}

	/**
	 * Makes AJAX handlers answer as under admin-ajax.php (wp_doing_ajax), their wp_die() thrown
	 * as Bikri_Test_Die instead of exiting. For setUp.
	 */
	protected function answer_as_admin_ajax() {
		$this->add_filter( 'wp_doing_ajax', '__return_true' );
		$this->add_filter(
			'wp_die_ajax_handler',
			static function () {
				return static function ( $message ) {
					throw new Bikri_Test_Die( is_string( $message ) ? $message : '', 200 );
				};
			}
		);
	}

	/**
	 * Calls an AJAX handler as admin-ajax.php would (after answer_as_admin_ajax()); returns the
	 * JSON it sent.
	 *
	 * @param callable    $handler      The handler.
	 * @param array       $post         Posted fields.
	 * @param string|null $nonce_action A valid nonce for this action is posted as "nonce"; null: none.
	 * @return array
	 */
	protected function call_ajax( callable $handler, array $post, $nonce_action = null ) {
		if ( null !== $nonce_action ) {
			$post['nonce'] = wp_create_nonce( $nonce_action );
		}
		$_POST    = wp_slash( $post );
		$_REQUEST = $_POST;
		$output   = $this->output_of(
			function () use ( $handler ) {
				try {
					call_user_func( $handler );
				} catch ( Bikri_Test_Die $die ) {
					return;
				}
				$this->fail( 'the handler must answer and stop' );
			}
		);
		$json = json_decode( $output, true );
		$this->assertIsArray( $json, $output );
		return $json;
	}

	/**
	 * Requests sent to a path.
	 *
	 * @param string $path Path.
	 * @return array[]
	 */
	protected function requests_to( $path ) {
		return array_values(
			array_filter(
				$this->requests,
				static function ( $request ) use ( $path ) {
					return wp_parse_url( $request[0], PHP_URL_PATH ) === $path;
				}
			)
		);
	}
}

/**
 * A test of the sync: the plugin activated locally, its sync at hand. (PHPUnit makes a new test
 * object for every test, so the properties' defaults are each test's start.)
 */
abstract class Bikri_Sync_Test_Case extends Bikri_Test_Case {

	/**
	 * Sync under test.
	 *
	 * @var Bikri_Sync
	 */
	protected $sync;

	protected function setUp(): void {
		parent::setUp();
		$this->activate_locally();
		$this->sync = $this->plugin->sync;
	}
}

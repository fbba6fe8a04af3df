<?php
/**
 * The License page: activation, status, deactivation, and the notice on every admin screen (P5-P7).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Renders the License page and handles its two forms through admin-post.php.
 */
final class Bikri_License_Page {

	/**
	 * Admin page slug.
	 */
	const SLUG = 'bikri-license';

	/**
	 * admin-post action and nonce action of the activation form.
	 */
	const ACTION_ACTIVATE = 'bikri_activate';

	/**
	 * admin-post action and nonce action of the deactivation form.
	 */
	const ACTION_DEACTIVATE = 'bikri_deactivate';

	/**
	 * admin-post action that clears everything Bikri stored in this WordPress (P10).
	 */
	const ACTION_CLEAR = 'bikri_clear_data';

	/**
	 * Who may see and change the license.
	 */
	const CAPABILITY = 'manage_options';

	/**
	 * Query argument that carries the outcome of a form after the redirect.
	 */
	const NOTICE_ARG = 'bikri_notice';

	/**
	 * License state.
	 *
	 * @var Bikri_License
	 */
	private $license;

	/**
	 * Client for the service.
	 *
	 * @var Bikri_Api_Client
	 */
	private $client;

	/**
	 * The WooCommerce REST key handed to the service.
	 *
	 * @var Bikri_Rest_Key
	 */
	private $rest_key;

	/**
	 * Order events to the service.
	 *
	 * @var Bikri_Sync
	 */
	private $sync;

	/**
	 * Hook suffix of the page, once registered.
	 *
	 * @var string
	 */
	private $hook_suffix = '';

	/**
	 * Builds the page.
	 *
	 * @param Bikri_License    $license  License state.
	 * @param Bikri_Api_Client $client   Client for the service.
	 * @param Bikri_Rest_Key   $rest_key The service's WooCommerce REST key.
	 * @param Bikri_Sync       $sync     Order events.
	 */
	public function __construct( Bikri_License $license, Bikri_Api_Client $client, Bikri_Rest_Key $rest_key, Bikri_Sync $sync ) {
		$this->license  = $license;
		$this->client   = $client;
		$this->rest_key = $rest_key;
		$this->sync     = $sync;
	}

	/**
	 * URL of the License page.
	 *
	 * @return string
	 */
	public static function url() {
		return admin_url( 'admin.php?page=' . self::SLUG );
	}

	/**
	 * Hook suffix of the page ('' before the menu is built).
	 *
	 * @return string
	 */
	public function hook_suffix() {
		return $this->hook_suffix;
	}

	/**
	 * Adds the page under the Bikri menu.
	 */
	public function action_admin_menu() {
		$hook = add_submenu_page(
			Bikri_Embedded_Pages::MENU_SLUG,
			__( 'Bikri license', 'bikri' ),
			__( 'License', 'bikri' ),
			self::CAPABILITY,
			self::SLUG,
			array( $this, 'render' )
		);
		if ( $hook ) {
			$this->hook_suffix = $hook;
			add_action( 'load-' . $hook, array( $this, 'action_load' ) );
		}
	}

	/**
	 * Before output: re-checks the status when due, so a reinstated license shows at once.
	 */
	public function action_load() {
		$this->license->maybe_refresh( $this->client );
	}

	/**
	 * Says on every admin screen why Bikri is locked, and where to fix it (P7).
	 */
	public function action_admin_notices() {
		$this->render_overflow_notice();
		if ( $this->license->is_active() || ! current_user_can( Bikri_Access::CAP_VIEW ) ) {
			return;
		}
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( $screen && '' !== $this->hook_suffix && $screen->id === $this->hook_suffix ) {
			return; // The License page says it in its own words.
		}

		$info = $this->license->info();
		if ( '' === $this->license->token() ) {
			$reason = __( 'Bikri needs an active license.', 'bikri' );
		} else {
			/* translators: %s: license status such as inactive, expired, suspended */
			$reason = sprintf( __( 'Bikri needs an active license; this site\'s license is %s.', 'bikri' ), self::status_label( $info['status'] ) );
		}

		if ( current_user_can( self::CAPABILITY ) ) {
			$action = sprintf(
				/* translators: 1: opening link tag, 2: closing link tag */
				esc_html__( 'Enter your license key on the %1$sLicense page%2$s.', 'bikri' ),
				'<a href="' . esc_url( self::url() ) . '">',
				'</a>'
			);
		} else {
			$action = esc_html__( 'Ask a site administrator to enter the license key.', 'bikri' );
		}

		echo '<div class="notice notice-warning bikri-license-notice"><p>' . esc_html( $reason ) . ' ' . $action . '</p></div>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- $action is built from escaped parts above.
	}

	/**
	 * Stops a form post (admin-post.php) from a user who may not manage the license (403), or
	 * without the form's nonce (check_admin_referer dies).
	 *
	 * @param string $action The form's action, its nonce action too.
	 */
	private function check_form( $action ) {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage the Bikri license.', 'bikri' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $action );
	}

	/**
	 * Activation form handler (admin-post.php?action=bikri_activate).
	 */
	public function handle_activate() {
		$this->check_form( self::ACTION_ACTIVATE );

		$key = isset( $_POST['bikri_license_key'] ) ? sanitize_text_field( wp_unslash( $_POST['bikri_license_key'] ) ) : '';

		if ( ! $this->license->service_url_is_fixed() && isset( $_POST['bikri_service_url'] ) ) {
			$url = esc_url_raw( trim( sanitize_text_field( wp_unslash( $_POST['bikri_service_url'] ) ) ), array( 'http', 'https' ) );
			if ( '' === $url ) {
				$this->fail( new WP_Error( 'bikri_bad_service_url', __( 'Enter the Bikri service URL, starting with https://.', 'bikri' ) ) );
			}
			$this->license->save_service_url( $url );
		}
		if ( '' === $this->license->service_url() ) {
			$this->fail( new WP_Error( 'bikri_no_service_url', __( 'The Bikri service URL is not set.', 'bikri' ) ) );
		}
		if ( '' === $key ) {
			$this->fail( new WP_Error( 'bikri_missing_key', __( 'Enter your license key.', 'bikri' ) ) );
		}

		$done = $this->activate_site( $key, untrailingslashit( home_url( '/' ) ), get_current_user_id() );
		if ( is_wp_error( $done ) ) {
			$this->fail( $done );
		}
		$this->redirect( 'activated' );
	}

	/**
	 * Activates this site: creates a WooCommerce REST key for the service, hands it over with the
	 * license key, and keeps it only when the service accepted. The key it replaces is deleted.
	 *
	 * @param string $license_key License key.
	 * @param string $site_url    This shop's URL (where the service reaches its REST API).
	 * @param int    $user_id     User the REST key acts as (the administrator activating).
	 * @return true|WP_Error
	 */
	public function activate_site( $license_key, $site_url, $user_id ) {
		$old_token = $this->license->token();
		// Without WooCommerce there is no key to give; the site activates and sync waits for one.
		$wc_key = Bikri_Rest_Key::is_available() ? $this->rest_key->create( $user_id ) : null;
		if ( is_wp_error( $wc_key ) ) {
			return $wc_key;
		}
		$answer = $this->client->activate(
			$license_key,
			$site_url,
			$wc_key ? $wc_key['consumer_key'] : '',
			$wc_key ? $wc_key['consumer_secret'] : '',
			$old_token
		);
		if ( ! is_wp_error( $answer ) && ( empty( $answer['token'] ) || ! is_string( $answer['token'] ) || ! isset( $answer['license'] ) || ! is_array( $answer['license'] ) ) ) {
			$answer = new WP_Error( 'bikri_bad_response', __( 'The Bikri service sent an incomplete answer.', 'bikri' ), array( 'status' => 201 ) );
		}
		if ( is_wp_error( $answer ) ) {
			if ( $wc_key ) {
				// The service never got it: a key nobody holds must not stay open.
				Bikri_Rest_Key::delete_row( $wc_key['key_id'] );
			}
			return $answer;
		}

		$this->license->save_activation( $answer['token'], $answer['license'], time(), isset( $answer['export_key'] ) ? $answer['export_key'] : null );
		if ( $wc_key ) {
			$this->rest_key->adopt( $wc_key['key_id'] );
		}
		if ( '' !== $old_token && $old_token !== $answer['token'] ) {
			// The service moved this site to the new key and replaced the old token, so this
			// fails harmlessly; it frees the old license's place when the service made a new
			// site instead (the site's address changed).
			$this->client->release_token( $old_token );
		}
		// Activation answers with the license only; the full status (site, sites used) comes from here.
		$this->license->refresh( $this->client, time() );
		return true;
	}

	/**
	 * Deactivation form handler (admin-post.php?action=bikri_deactivate).
	 *
	 * The token is forgotten even when the service cannot be told, so the merchant is never stuck;
	 * the notice then says the site may still count against the license.
	 */
	public function handle_deactivate() {
		$this->check_form( self::ACTION_DEACTIVATE );

		$answer = '' === $this->license->token() ? array() : $this->client->deactivate();
		$this->license->clear();
		// The service may no longer read or write this shop, and queued events have nowhere to go.
		$this->rest_key->delete();
		$this->sync->clear();

		$told = ! is_wp_error( $answer ) || Bikri_Api_Client::is_refusal( $answer );
		$this->redirect( $told ? 'deactivated' : 'deactivated_locally' );
	}

	/**
	 * "Clear Bikri data" form handler (admin-post.php?action=bikri_clear_data), P10: the site is
	 * deactivated with the service (best effort), then every option, queue, scheduled action,
	 * REST key and order meta key the plugin wrote is removed, as uninstalling would.
	 */
	public function handle_clear() {
		$this->check_form( self::ACTION_CLEAR );
		$confirmed = isset( $_POST['bikri_confirm_clear'] ) && 'yes' === sanitize_key( wp_unslash( $_POST['bikri_confirm_clear'] ) );
		if ( ! $confirmed ) {
			$this->redirect( 'clear_unconfirmed' );
		}
		if ( '' !== $this->license->token() ) {
			$this->client->deactivate();
		}
		Bikri_Uninstaller::clean_site();
		$this->redirect( 'cleared' );
	}

	/**
	 * Prints the License page.
	 */
	public function render() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$info = $this->license->info();

		echo '<div class="wrap bikri-license">';
		echo '<h1>' . esc_html__( 'Bikri license', 'bikri' ) . '</h1>';
		echo '<hr class="wp-header-end">';

		$this->render_outcome();

		if ( ! $this->license->is_active() ) {
			echo '<div class="notice notice-warning inline"><p>' . esc_html__( 'Bikri needs an active license. Until this site is activated, the Bikri pages open this page instead.', 'bikri' ) . '</p></div>';
		}
		if ( is_array( $info['error'] ) ) {
			echo '<div class="notice notice-error inline bikri-error"><p>' . esc_html( self::describe_error( $info['error'] ) ) . '</p>';
			$fields = self::field_errors( $info['error']['details'] );
			if ( ! empty( $fields ) ) {
				echo '<ul>';
				foreach ( $fields as $line ) {
					echo '<li>' . esc_html( $line ) . '</li>';
				}
				echo '</ul>';
			}
			echo '</div>';
		}

		if ( '' !== $this->license->token() ) {
			$this->render_status( $info );
			$this->render_sync_state();
		}
		$this->render_activation_form();
		if ( '' !== $this->license->token() ) {
			$this->render_deactivation_form();
		}
		$this->render_clear_form();
		echo '</div>';
	}

	/**
	 * A sentence for an error the service or the plugin reported, in the merchant's words.
	 *
	 * @param array $error Stored error: code, message, status, details.
	 * @return string
	 */
	public static function describe_error( array $error ) {
		$code    = isset( $error['code'] ) ? (string) $error['code'] : '';
		$message = isset( $error['message'] ) ? (string) $error['message'] : '';
		switch ( $code ) {
			case 'license_invalid':
				return __( 'That license key is not valid. Check it for typing mistakes and try again.', 'bikri' );
			case 'license_inactive':
				return __( 'This license is not active: it has expired, been suspended or been revoked. Renew it or contact Bikri support.', 'bikri' );
			case 'license_site_limit':
				return __( 'This license is already used on as many sites as it allows. Deactivate it on another site, or upgrade the plan.', 'bikri' );
			case 'validation_error':
				return __( 'The Bikri service could not accept the form:', 'bikri' ) . ( '' !== $message ? ' ' . $message : '' );
			case 'site_on_other_license':
				return __( 'This site is activated with another license key. To change the key, enter the new key on this page while Bikri is still activated here: Bikri then moves the shop, with its orders, SMS balance and settings, to the new key. If this site lost its activation, activate with the old key first.', 'bikri' );
			case 'rate_limited':
				return __( 'Too many attempts. Wait a minute, then try again.', 'bikri' );
			case 'unauthorized':
				return __( 'The Bikri service no longer accepts this site\'s token. Enter the license key again to reactivate.', 'bikri' );
			case 'bikri_unreachable':
				/* translators: %s: technical reason, e.g. a connection error */
				return sprintf( __( 'Could not reach the Bikri service (%s). Check the service URL and try again.', 'bikri' ), $message );
			case '':
				return __( 'Something went wrong.', 'bikri' );
			default:
				return '' !== $message ? $message : $code;
		}
	}

	/**
	 * A license status in words.
	 *
	 * @param string $status Status code from the service, or 'none'/'inactive' set by the plugin.
	 * @return string
	 */
	public static function status_label( $status ) {
		$labels = array(
			'none'      => __( 'not activated', 'bikri' ),
			'active'    => __( 'active', 'bikri' ),
			'inactive'  => __( 'inactive', 'bikri' ),
			'expired'   => __( 'expired', 'bikri' ),
			'suspended' => __( 'suspended', 'bikri' ),
			'revoked'   => __( 'revoked', 'bikri' ),
		);
		return isset( $labels[ $status ] ) ? $labels[ $status ] : (string) $status;
	}

	/**
	 * Field errors from a validation_error's details, as "field: message" lines.
	 *
	 * @param mixed  $details Details from the service ({"field": ["msg"]}, possibly nested by location).
	 * @param string $prefix  Field path so far.
	 * @return string[]
	 */
	public static function field_errors( $details, $prefix = '' ) {
		if ( ! is_array( $details ) ) {
			return ( '' !== $prefix && is_scalar( $details ) ) ? array( $prefix . ': ' . $details ) : array();
		}
		$lines = array();
		foreach ( $details as $key => $value ) {
			// flask-smorest groups field errors by request location ("json"); that level is not a field.
			if ( is_int( $key ) || ( '' === $prefix && in_array( $key, array( 'json', 'query', 'form' ), true ) ) ) {
				$path = $prefix;
			} else {
				$path = '' === $prefix ? (string) $key : $prefix . '.' . $key;
			}
			$lines = array_merge( $lines, self::field_errors( $value, $path ) );
		}
		return $lines;
	}

	/**
	 * Prints the outcome of the last form, carried in the query string.
	 */
	private function render_outcome() {
		$outcome  = isset( $_GET[ self::NOTICE_ARG ] ) ? sanitize_key( wp_unslash( $_GET[ self::NOTICE_ARG ] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only selects a fixed message.
		$messages = array(
			'activated'           => __( 'Bikri is activated on this site.', 'bikri' ),
			'deactivated'         => __( 'Bikri is deactivated on this site.', 'bikri' ),
			'cleared'             => __( 'All Bikri data was removed from this site, including the courier details on orders.', 'bikri' ),
			'clear_unconfirmed'   => __( 'Nothing was removed: tick the box to confirm that you want to clear Bikri\'s data.', 'bikri' ),
			'deactivated_locally' => __( 'Bikri is deactivated on this site, but the Bikri service could not be told, so the site may still count against your license.', 'bikri' ),
		);
		if ( isset( $messages[ $outcome ] ) ) {
			$class = 'deactivated_locally' === $outcome ? 'notice-warning' : 'notice-success';
			echo '<div class="notice ' . esc_attr( $class ) . ' inline"><p>' . esc_html( $messages[ $outcome ] ) . '</p></div>';
		}
	}

	/**
	 * Prints the known status of the license.
	 *
	 * @param array $info License info.
	 */
	private function render_status( array $info ) {
		$expires = '';
		if ( '' !== $info['expires_at'] ) {
			$time    = strtotime( $info['expires_at'] );
			$expires = false === $time ? $info['expires_at'] : wp_date( get_option( 'date_format' ), $time );
		}
		$sites = '';
		if ( null !== $info['sites_used'] && null !== $info['sites_allowed'] ) {
			/* translators: 1: sites using the license, 2: sites the license allows */
			$sites = sprintf( __( '%1$d of %2$d', 'bikri' ), $info['sites_used'], $info['sites_allowed'] );
		}
		$rows = array(
			__( 'Status', 'bikri' )     => self::status_label( $info['status'] ),
			__( 'Plan', 'bikri' )       => $info['plan'],
			__( 'Expires', 'bikri' )    => '' !== $expires ? $expires : __( 'Never', 'bikri' ),
			__( 'Site', 'bikri' )       => $info['site_url'],
			__( 'Sites used', 'bikri' ) => $sites,
		);

		echo '<h2>' . esc_html__( 'Status', 'bikri' ) . '</h2>';
		echo '<table class="widefat striped bikri-status"><tbody>';
		foreach ( $rows as $label => $value ) {
			if ( '' === (string) $value ) {
				continue;
			}
			echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td>' . esc_html( $value ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * Prints the order sync state: last push, queued events, last error.
	 */
	private function render_sync_state() {
		$state  = $this->sync->state();
		$queued = $this->sync->queue->count();
		$rows   = array(
			__( 'Last push', 'bikri' )     => $state['last_push'] ? self::when( $state['last_push'] ) : __( 'Never', 'bikri' ),
			__( 'Queued events', 'bikri' ) => number_format_i18n( $queued ),
		);
		if ( $state['next_attempt'] > time() ) {
			$rows[ __( 'Next attempt', 'bikri' ) ] = self::when( $state['next_attempt'] );
		}
		if ( is_array( $state['last_error'] ) && ( $queued > 0 || $state['failures'] > 0 ) ) {
			/* translators: 1: what went wrong, 2: when */
			$rows[ __( 'Last error', 'bikri' ) ] = sprintf( __( '%1$s (%2$s)', 'bikri' ), $state['last_error']['message'], self::when( $state['last_error']['at'] ) );
		}
		$rows = array_merge( $rows, $this->service_sync_rows() );
		echo '<h2>' . esc_html__( 'Order sync', 'bikri' ) . '</h2>';
		echo '<table class="widefat striped bikri-sync-state"><tbody>';
		foreach ( $rows as $label => $value ) {
			echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td>' . esc_html( $value ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * What the service says it stored. The service takes order changes as "accepted" and stores
	 * them a moment later, so one it could not store shows here (and on Bikri's dashboard), not
	 * in the queue above.
	 *
	 * @return array Label => value.
	 */
	private function service_sync_rows() {
		$remote = $this->client->get_sync_status();
		if ( is_wp_error( $remote ) ) {
			$label = __( 'Stored by Bikri', 'bikri' );
			/* translators: %s: why the Bikri service could not be asked */
			return array( $label => sprintf( __( 'Bikri could not be asked just now: %s', 'bikri' ), $remote->get_error_message() ) );
		}
		$rows     = array();
		$backfill = $remote['backfill'] ?? null;
		if ( is_array( $backfill ) && in_array( $backfill['status'] ?? '', array( 'queued', 'running' ), true ) ) {
			// The shop's orders are being imported (the service's jobs process runs it): say how far.
			$label = __( 'Order import', 'bikri' );
			if ( isset( $backfill['total'] ) && is_numeric( $backfill['total'] ) ) {
				/* translators: 1: orders imported so far, 2: orders to import */
				$rows[ $label ] = sprintf( __( 'Importing orders: %1$s of %2$s', 'bikri' ), number_format_i18n( (int) ( $backfill['done'] ?? 0 ) ), number_format_i18n( (int) $backfill['total'] ) );
			} else {
				$rows[ $label ] = __( 'Importing orders from WooCommerce: starting…', 'bikri' );
			}
		}
		if ( isset( $remote['orders_stored'] ) ) {
			$rows[ __( 'Orders stored by Bikri', 'bikri' ) ] = number_format_i18n( (int) $remote['orders_stored'] );
		}
		$unstored = $remote['events']['unstored'] ?? null;
		if ( is_array( $unstored ) && isset( $unstored['reason'], $unstored['at'] ) ) {
			$label = __( 'Not stored by Bikri', 'bikri' );
			/* translators: 1: the order and what went wrong, 2: when */
			$rows[ $label ] = sprintf( __( '%1$s (%2$s). Bikri\'s regular check with WooCommerce brings the order in once WooCommerce gives it complete.', 'bikri' ), (string) $unstored['reason'], self::when( (int) strtotime( (string) $unstored['at'] ) ) );
		}
		return $rows;
	}

	/**
	 * A moment in the site's date and time format.
	 *
	 * @param int $timestamp Unix time.
	 * @return string
	 */
	private static function when( $timestamp ) {
		return wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) $timestamp );
	}

	/**
	 * Says on every admin screen when the event queue was full and order changes were not queued.
	 */
	private function render_overflow_notice() {
		$state = $this->sync->state();
		if ( ! $state['overflowed'] || ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$text = sprintf(
			/* translators: 1: number of events kept, 2: number of order changes not queued, 3: date and time */
			__( 'Bikri could not reach its service for a long time: its queue is full (%1$s events) and %2$s order changes since %3$s were not queued. Nothing is lost in WooCommerce; the Bikri service picks these orders up by itself once it is reachable again. Check the service URL on the Bikri License page.', 'bikri' ),
			number_format_i18n( Bikri_Sync::MAX_QUEUE ),
			number_format_i18n( $state['overflowed'] ),
			self::when( $state['overflow_at'] )
		);
		echo '<div class="notice notice-error bikri-sync-overflow"><p>' . esc_html( $text ) . '</p></div>';
	}

	/**
	 * Prints the activation form.
	 */
	private function render_activation_form() {
		$active = $this->license->is_active();
		echo '<h2>' . esc_html( $active ? __( 'Change license key', 'bikri' ) : __( 'Activate', 'bikri' ) ) . '</h2>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="bikri-form">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION_ACTIVATE ) . '">';
		wp_nonce_field( self::ACTION_ACTIVATE );
		echo '<table class="form-table" role="presentation"><tbody>';
		echo '<tr><th scope="row"><label for="bikri-license-key">' . esc_html__( 'License key', 'bikri' ) . '</label></th>';
		echo '<td><input type="text" id="bikri-license-key" name="bikri_license_key" class="regular-text" autocomplete="off" spellcheck="false" required></td></tr>';
		if ( ! $this->license->service_url_is_fixed() ) {
			echo '<tr><th scope="row"><label for="bikri-service-url">' . esc_html__( 'Service URL', 'bikri' ) . '</label></th>';
			echo '<td><input type="url" id="bikri-service-url" name="bikri_service_url" class="regular-text" value="' . esc_attr( $this->license->service_url() ) . '" placeholder="https://" required>';
			echo '<p class="description">' . esc_html__( 'The address of the Bikri service, given with your license key.', 'bikri' ) . '</p></td></tr>';
		}
		echo '</tbody></table>';
		submit_button( $active ? __( 'Activate with this key', 'bikri' ) : __( 'Activate', 'bikri' ) );
		echo '</form>';
	}

	/**
	 * Prints the deactivation form.
	 */
	private function render_deactivation_form() {
		echo '<h2>' . esc_html__( 'Deactivate', 'bikri' ) . '</h2>';
		echo '<p>' . esc_html__( 'Frees this site\'s place on the license. The Bikri pages stay locked until the site is activated again.', 'bikri' ) . '</p>';
		echo '<p>' . esc_html__( 'To change the license key, do not deactivate: enter the new key above, and Bikri moves this shop\'s orders, SMS balance and settings to it. After deactivating, a new key starts an empty shop; the old key still finds its data.', 'bikri' ) . '</p>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="bikri-form">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION_DEACTIVATE ) . '">';
		wp_nonce_field( self::ACTION_DEACTIVATE );
		submit_button( __( 'Deactivate', 'bikri' ), 'secondary', 'bikri-deactivate', false );
		echo '</form>';
	}

	/**
	 * Prints the "Clear Bikri data" form (P10), with a confirmation box.
	 */
	private function render_clear_form() {
		echo '<h2>' . esc_html__( 'Clear Bikri data', 'bikri' ) . '</h2>';
		echo '<p>' . esc_html__( 'Removes everything Bikri stored in this WordPress: the license, settings, queued order events, its WooCommerce REST key and the courier details on orders. Your orders themselves stay.', 'bikri' ) . '</p>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="bikri-form">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION_CLEAR ) . '">';
		wp_nonce_field( self::ACTION_CLEAR );
		echo '<p><label><input type="checkbox" name="bikri_confirm_clear" value="yes"> ' . esc_html__( 'I understand this cannot be undone.', 'bikri' ) . '</label></p>';
		submit_button( __( 'Clear Bikri data', 'bikri' ), 'delete', 'bikri-clear', false );
		echo '</form>';
	}

	/**
	 * Records a failed activation and goes back to the page.
	 *
	 * @param WP_Error $error What went wrong.
	 */
	private function fail( WP_Error $error ) {
		$this->license->record_error( $error );
		$this->redirect( 'failed' );
	}

	/**
	 * Goes back to the License page with the outcome, and stops (redirect after POST).
	 *
	 * @param string $outcome One of the keys known to render_outcome(), or 'failed'.
	 */
	private function redirect( $outcome ) {
		wp_safe_redirect( add_query_arg( self::NOTICE_ARG, $outcome, self::url() ) );
		exit;
	}
}

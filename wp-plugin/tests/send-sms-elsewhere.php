<?php
/**
 * Run by test-send-sms.php in a PHP process of its own (a function cannot be undeclared):
 * loads the test WordPress with another plugin's send_sms() declared before Bikri loads,
 * right after Bikri's file loads, or not at all, then prints which send_sms() won, as JSON.
 *
 * Usage: php send-sms-elsewhere.php before|after|none   (BIKRI_WP_DIR and WP_HOME as for PHPUnit)
 *
 * @package Bikri
 */

$bikri_mode  = isset( $argv[1] ) ? $argv[1] : 'none';
$bikri_other = __DIR__ . '/stand-ins/other-plugin-send-sms.php';

if ( 'before' === $bikri_mode ) {
	// As a must-use plugin or an earlier plugin would: declared before Bikri's file runs.
	require $bikri_other;
} elseif ( 'after' === $bikri_mode ) {
	// As a plugin loaded after Bikri (alphabetically later) would. WordPress turns a $wp_filter
	// set before it loads into hooks; plugin_loaded fires after each plugin file.
	$GLOBALS['wp_filter'] = array(
		'plugin_loaded' => array(
			10 => array(
				array(
					'function'      => static function ( $file ) use ( $bikri_other ) {
						if ( 'bikri.php' === basename( $file ) ) {
							require $bikri_other;
						}
					},
					'accepted_args' => 1,
				),
			),
		),
	);
}

$bikri_home                = parse_url( getenv( 'WP_HOME' ) ?: 'http://127.0.0.1:8080' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.parse_url_parse_url -- WordPress is not loaded yet.
$_SERVER['HTTP_HOST']      = $bikri_home['host'] . ( isset( $bikri_home['port'] ) ? ':' . $bikri_home['port'] : '' );
$_SERVER['SERVER_NAME']    = $bikri_home['host'];
$_SERVER['REQUEST_URI']    = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';

require getenv( 'BIKRI_WP_DIR' ) . '/wp-load.php';

$bikri_function = new ReflectionFunction( 'send_sms' );
$bikri_answer   = send_sms( '01711000000', 'hello' );
echo wp_json_encode(
	array(
		'declared_in'          => $bikri_function->getFileName(),
		'answer'               => is_wp_error( $bikri_answer ) ? 'WP_Error:' . $bikri_answer->get_error_code() : $bikri_answer,
		'bikri_send_sms'       => function_exists( 'bikri_send_sms' ),
		'bikri_plugin_loaded'  => class_exists( 'Bikri_Plugin' ) && null !== Bikri_Plugin::instance(),
	)
), "\n";

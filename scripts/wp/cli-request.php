<?php
/**
 * WordPress reads the request from $_SERVER even on the command line: this sets it for a
 * command-line run of the WordPress that setup.sh made (wp-task.php, and the plugin's PHPUnit
 * bootstrap), before wp-load.php.
 *
 * Environment: WP_HOME (the site's URL, as given to setup.sh; default http://127.0.0.1:8080).
 */

/**
 * Sets $_SERVER as for a GET of a path of the site at WP_HOME, from 127.0.0.1.
 *
 * @param string $uri The request's path, e.g. / or /wp-admin/.
 */
function bikri_cli_request( $uri ) {
	$home = parse_url( getenv( 'WP_HOME' ) ?: 'http://127.0.0.1:8080' );

	$_SERVER['HTTP_HOST']       = $home['host'] . ( isset( $home['port'] ) ? ':' . $home['port'] : '' );
	$_SERVER['SERVER_NAME']     = $home['host'];
	$_SERVER['SERVER_PORT']     = isset( $home['port'] ) ? (string) $home['port'] : '80';
	$_SERVER['REQUEST_URI']     = $uri;
	$_SERVER['REQUEST_METHOD']  = 'GET';
	$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
	$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
}

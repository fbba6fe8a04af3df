<?php
/**
 * Router for PHP's built-in web server serving a WordPress tree (see serve.sh).
 *
 * Existing files (PHP or static) and directory indexes are served as they are;
 * anything else goes to WordPress's index.php, as Apache's rewrite rules would.
 */

$bikri_root = rtrim( $_SERVER['DOCUMENT_ROOT'], '/' );
$bikri_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );

if ( false !== strpos( $bikri_path, '..' ) ) {
	http_response_code( 400 );
	return true;
}

$bikri_file = $bikri_root . $bikri_path;

if ( is_dir( $bikri_file ) ) {
	if ( '/' !== substr( $bikri_path, -1 ) ) {
		$bikri_query = parse_url( $_SERVER['REQUEST_URI'], PHP_URL_QUERY );
		header( 'Location: ' . $bikri_path . '/' . ( $bikri_query ? '?' . $bikri_query : '' ), true, 301 );
		return true;
	}
	if ( is_file( $bikri_file . 'index.php' ) ) {
		$_SERVER['SCRIPT_NAME']     = $bikri_path . 'index.php';
		$_SERVER['PHP_SELF']        = $bikri_path . 'index.php';
		$_SERVER['SCRIPT_FILENAME'] = $bikri_file . 'index.php';
		chdir( $bikri_file );
		require $bikri_file . 'index.php';
		return true;
	}
}

if ( is_file( $bikri_file ) ) {
	return false;
}

$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $bikri_root . '/index.php';
chdir( $bikri_root );
require $bikri_root . '/index.php';
return true;

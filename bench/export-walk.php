<?php
/**
 * Walks every order through Bikri_Order_Export inside a WordPress made by scripts/wp/setup.sh,
 * page by page, and prints JSON: pages, orders, queries per page (min/max), ms per 100 orders.
 *
 * Usage: php bench/export-walk.php <wordpress-dir> <posts|hpos> [limit]
 */

if ( PHP_SAPI !== 'cli' || $argc < 3 ) {
	fwrite( STDERR, "usage: php export-walk.php <wordpress-dir> <posts|hpos> [limit]\n" );
	exit( 2 );
}
$_SERVER['HTTP_HOST']   = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
require rtrim( $argv[1], '/' ) . '/wp-load.php';

global $wpdb;
$storage = $argv[2];
$limit   = isset( $argv[3] ) ? (int) $argv[3] : 100;
$export  = new Bikri_Order_Export();
$cursor  = array( 'after_id' => 0 );
$queries = array();
$orders  = 0;
$pages   = 0;
$started = microtime( true );
do {
	$before  = $wpdb->num_queries;
	$page    = $export->page( array_merge( $cursor, array( 'limit' => $limit, 'storage' => $storage ) ) );
	$queries[] = $wpdb->num_queries - $before;
	$orders += count( $page['orders'] );
	++$pages;
	$cursor = $page['next'];
	unset( $page );
} while ( $cursor );
$seconds = microtime( true ) - $started;
echo wp_json_encode(
	array(
		'storage'             => $storage,
		'orders'              => $orders,
		'pages'               => $pages,
		'queries_per_page'    => array( min( $queries ), max( $queries ) ),
		'ms_per_100'          => $orders ? 1000 * $seconds / $orders * 100 : 0,
		'seconds'             => $seconds,
		'peak_mb'             => memory_get_peak_usage( true ) / 1048576,
	)
) . "\n";

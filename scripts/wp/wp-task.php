<?php
/**
 * Runs one task inside a WordPress tree made by setup.sh, from the command line.
 *
 * Usage: php wp-task.php <wordpress-dir> install|activate
 * Environment: WP_HOME, WP_ADMIN_USER, WP_ADMIN_PASSWORD, WP_ADMIN_EMAIL.
 */

if ( PHP_SAPI !== 'cli' || $argc < 3 ) {
	fwrite( STDERR, "usage: php wp-task.php <wordpress-dir> install|activate\n" );
	exit( 2 );
}

$bikri_dir  = rtrim( $argv[1], '/' );
$bikri_task = $argv[2];

require __DIR__ . '/cli-request.php';
bikri_cli_request( '/' );

if ( 'install' === $bikri_task ) {
	define( 'WP_INSTALLING', true );
}

require $bikri_dir . '/wp-load.php';

switch ( $bikri_task ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		if ( is_blog_installed() ) {
			fwrite( STDERR, "WordPress is already installed in this database.\n" );
			exit( 1 );
		}
		$bikri_result = wp_install(
			'Bikri test shop',
			getenv( 'WP_ADMIN_USER' ) ?: 'admin',
			getenv( 'WP_ADMIN_EMAIL' ) ?: 'admin@example.com',
			false,
			'',
			getenv( 'WP_ADMIN_PASSWORD' ) ?: 'admin-pass-123'
		);
		echo 'installed WordPress ' . get_bloginfo( 'version' ) . ', admin user id ' . (int) $bikri_result['user_id'] . "\n";
		break;

	case 'activate':
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		$bikri_result = activate_plugin( 'bikri/bikri.php', '', false, false );
		if ( is_wp_error( $bikri_result ) ) {
			fwrite( STDERR, 'activation failed: ' . $bikri_result->get_error_message() . "\n" );
			exit( 1 );
		}
		if ( ! is_plugin_active( 'bikri/bikri.php' ) ) {
			fwrite( STDERR, "activation failed: the plugin is not active afterwards\n" );
			exit( 1 );
		}
		echo "activated bikri/bikri.php\n";
		break;

	default:
		fwrite( STDERR, "unknown task: $bikri_task\n" );
		exit( 2 );
}

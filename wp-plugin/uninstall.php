<?php
/**
 * Runs when the plugin is deleted from the Plugins screen: removes its options, REST key, event queue and order meta (P10).
 *
 * @package Bikri
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-bikri-access.php';
require_once __DIR__ . '/includes/class-bikri-license.php';
require_once __DIR__ . '/includes/class-bikri-rest-key.php';
require_once __DIR__ . '/includes/class-bikri-sync-queue.php';
require_once __DIR__ . '/includes/class-bikri-sync.php';
require_once __DIR__ . '/includes/class-bikri-checkout-config.php';
require_once __DIR__ . '/includes/class-bikri-export-route.php';
require_once __DIR__ . '/includes/class-bikri-updates.php';
require_once __DIR__ . '/includes/class-bikri-wishlist.php';
require_once __DIR__ . '/includes/class-bikri-uninstaller.php';

Bikri_Uninstaller::run();

<?php
/**
 * The public key plugin updates are signed with (Ed25519, base64 of 32 raw bytes).
 *
 * The key committed here is the development and test key: its private half is in
 * tests/updates/test_releases.py and wp-plugin/tests/test-updates.php, so it must never sign a
 * production release. A production build replaces it: the service's console (Plugin releases)
 * shows the public key of BIKRI_RELEASE_SIGNING_KEY, and
 *   BIKRI_RELEASE_PUBLIC_KEY=<that key> make plugin
 * writes it into this file inside the zip (scripts/wp/build-plugin.sh).
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

return 'xNKFVz9TTchJsAewqtniAZ5z7h/mmUiaoBD7z9pi2nI=';

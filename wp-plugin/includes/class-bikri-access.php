<?php
/**
 * Who may open the Bikri pages, and which role the service is told about.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Access rules for the embedded pages (T1).
 *
 * WordPress decides who gets in; the service decides what each role may do there,
 * so the plugin only forwards the user's WordPress role name.
 */
final class Bikri_Access {

	/**
	 * The capability that opens the embedded pages.
	 */
	const CAP_VIEW = 'bikri_view';

	/**
	 * Holding any of these grants CAP_VIEW: shop owners, shop managers, order staff.
	 */
	const GRANTING_CAPS = array( 'manage_options', 'manage_woocommerce', 'edit_shop_orders' );

	/**
	 * Grants CAP_VIEW to users holding any of GRANTING_CAPS.
	 *
	 * @param bool[]   $allcaps All capabilities of the user.
	 * @param string[] $caps    Primitive capabilities being checked.
	 * @param array    $args    Arguments of the check (unused).
	 * @param WP_User  $user    The user (unused).
	 * @return bool[]
	 */
	public static function filter_user_has_cap( $allcaps, $caps, $args, $user ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundAfterLastUsed -- signature of the user_has_cap filter.
		if ( ! in_array( self::CAP_VIEW, (array) $caps, true ) ) {
			return $allcaps;
		}
		foreach ( self::GRANTING_CAPS as $cap ) {
			if ( ! empty( $allcaps[ $cap ] ) ) {
				$allcaps[ self::CAP_VIEW ] = true;
				break;
			}
		}
		return $allcaps;
	}

	/**
	 * The WordPress role name sent to the service for a user.
	 *
	 * The service maps it (administrator to admin, shop_manager to manager, anything else to staff).
	 *
	 * @param WP_User $user The user.
	 * @return string First role of the user; 'administrator' for a network super admin without
	 *                a role on this site; 'none' otherwise.
	 */
	public static function role_of( WP_User $user ) {
		$roles = array_values( (array) $user->roles );
		if ( ! empty( $roles ) ) {
			return (string) $roles[0];
		}
		if ( is_multisite() && is_super_admin( $user->ID ) ) {
			return 'administrator';
		}
		return 'none';
	}
}

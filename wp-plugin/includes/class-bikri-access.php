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
	 * The plugin's copy of which Bikri pages each WordPress role may open, as the service last
	 * told it with a ticket: role name => service page names; '*' for every role not named.
	 */
	const OPTION_PAGES = 'bikri_page_access';

	/**
	 * Key of the entry for WordPress roles the service does not name (its staff).
	 */
	const OTHER_ROLES = '*';

	/**
	 * Pages shown when the copy says nothing about the user's role: every role may open these.
	 */
	const FALLBACK_PAGES = array( 'home' );

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

	/**
	 * Every WordPress role of a user, for the service's role matrix (T1), which maps each one
	 * (custom roles too) and gives the user the highest Bikri role among them.
	 *
	 * @param WP_User $user The user.
	 * @return string[] At most 20 role names; at least the one role_of() gives.
	 */
	public static function roles_of( WP_User $user ) {
		$roles = array_values( array_unique( array_map( 'strval', (array) $user->roles ) ) );
		if ( empty( $roles ) ) {
			$roles = array( self::role_of( $user ) );
		}
		return array_slice( $roles, 0, 20 );
	}

	/**
	 * Keeps the service's table of pages per role (from a ticket answer) for the menu.
	 *
	 * Only page names the plugin knows are kept; anything malformed is ignored, so a bad answer
	 * leaves the previous copy in place. WordPress writes the option only when it changed.
	 *
	 * @param mixed    $table       The answer's pages_by_role.
	 * @param string[] $known_pages Service page names the plugin has pages for.
	 * @return bool Whether the table was usable.
	 */
	public static function save_page_table( $table, array $known_pages ) {
		if ( ! is_array( $table ) || empty( $table ) ) {
			return false;
		}
		$clean = array();
		foreach ( $table as $role => $pages ) {
			$role = (string) $role;
			if ( self::OTHER_ROLES !== $role && sanitize_key( $role ) !== $role ) {
				continue;
			}
			if ( ! is_array( $pages ) ) {
				continue;
			}
			$clean[ $role ] = array_values( array_intersect( $known_pages, array_map( 'strval', array_filter( $pages, 'is_scalar' ) ) ) );
		}
		if ( empty( $clean ) ) {
			return false;
		}
		update_option( self::OPTION_PAGES, $clean, true );
		return true;
	}

	/**
	 * The service pages a user's role may open, from the kept copy; null when the copy says
	 * nothing for this user (no ticket answered yet).
	 *
	 * @param WP_User $user The user.
	 * @return string[]|null
	 */
	public static function pages_of( WP_User $user ) {
		$table = get_option( self::OPTION_PAGES, array() );
		if ( ! is_array( $table ) ) {
			return null;
		}
		// A user with several roles gets the service's highest-mapped one: the union of their pages.
		$pages = null;
		foreach ( self::roles_of( $user ) as $role ) {
			$key = isset( $table[ $role ] ) && is_array( $table[ $role ] ) ? $role : self::OTHER_ROLES;
			if ( isset( $table[ $key ] ) && is_array( $table[ $key ] ) ) {
				$pages = array_values( array_unique( array_merge( (array) $pages, $table[ $key ] ) ) );
			}
		}
		return $pages;
	}
}

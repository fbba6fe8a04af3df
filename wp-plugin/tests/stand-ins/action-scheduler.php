<?php
/**
 * STAND-IN for Action Scheduler (shipped inside WooCommerce): its public functions with their
 * real signatures, over an in-memory store. Nothing runs by itself; a test calls
 * Bikri\Tests\Action_Scheduler::run_due() to run what is due, synchronously, as the queue
 * runner would.
 *
 * @package Bikri
 */

namespace Bikri\Tests {

	/**
	 * The stand-in's store.
	 */
	class Action_Scheduler {

		/**
		 * Actions by ID: {hook, args, group, timestamp (null for async), status}.
		 *
		 * @var array[]
		 */
		public static $actions = array();

		/**
		 * Next action ID.
		 *
		 * @var int
		 */
		public static $next_id = 1;

		/**
		 * Forgets every action.
		 */
		public static function reset() {
			self::$actions = array();
		}

		/**
		 * Pending actions of a hook.
		 *
		 * @param string $hook Hook.
		 * @return array[]
		 */
		public static function pending( $hook ) {
			return array_values(
				array_filter(
					self::$actions,
					static function ( $action ) use ( $hook ) {
						return 'pending' === $action['status'] && $action['hook'] === $hook;
					}
				)
			);
		}

		/**
		 * Adds an action.
		 *
		 * @param string   $hook      Hook.
		 * @param array    $args      Arguments.
		 * @param string   $group     Group.
		 * @param int|null $timestamp When; null for async.
		 * @param bool     $unique    Refuse when a pending or running one matches.
		 * @return int Action ID, 0 when refused.
		 */
		public static function add( $hook, $args, $group, $timestamp, $unique ) {
			if ( $unique && \as_has_scheduled_action( $hook, $args, $group ) ) {
				return 0;
			}
			$id                   = self::$next_id++;
			self::$actions[ $id ] = array(
				'hook'      => $hook,
				'args'      => $args,
				'group'     => $group,
				'timestamp' => $timestamp,
				'status'    => 'pending',
			);
			return $id;
		}

		/**
		 * Runs the pending actions that are due at $now, as the queue runner does: each marked
		 * running, its hook fired with its arguments, then marked complete.
		 *
		 * @param int $now Unix time.
		 * @return int Actions run.
		 */
		public static function run_due( $now ) {
			$ran = 0;
			foreach ( array_keys( self::$actions ) as $id ) {
				$action = self::$actions[ $id ];
				if ( 'pending' !== $action['status'] || ( null !== $action['timestamp'] && $action['timestamp'] > $now ) ) {
					continue;
				}
				self::$actions[ $id ]['status'] = 'running';
				do_action_ref_array( $action['hook'], array_values( $action['args'] ) );
				self::$actions[ $id ]['status'] = 'complete';
				++$ran;
			}
			return $ran;
		}
	}
}

namespace {

	if ( ! function_exists( 'as_enqueue_async_action' ) ) {
		/**
		 * Enqueue an action to run one time, as soon as possible.
		 *
		 * @param string $hook     Hook.
		 * @param array  $args     Arguments.
		 * @param string $group    Group.
		 * @param bool   $unique   Whether the action should be unique.
		 * @param int    $priority Priority (unused by the stand-in).
		 * @return int
		 */
		function as_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
			return Bikri\Tests\Action_Scheduler::add( $hook, $args, $group, null, $unique );
		}

		/**
		 * Schedule an action to run once at some time in the future.
		 *
		 * @param int    $timestamp When.
		 * @param string $hook      Hook.
		 * @param array  $args      Arguments.
		 * @param string $group     Group.
		 * @param bool   $unique    Whether the action should be unique.
		 * @param int    $priority  Priority (unused by the stand-in).
		 * @return int
		 */
		function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
			return Bikri\Tests\Action_Scheduler::add( $hook, $args, $group, (int) $timestamp, $unique );
		}

		/**
		 * The next time a matching action runs: its timestamp, true for an async or running one, false for none.
		 *
		 * @param string     $hook  Hook.
		 * @param array|null $args  Arguments (null: any).
		 * @param string     $group Group.
		 * @return int|bool
		 */
		function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
			$next = false;
			foreach ( Bikri\Tests\Action_Scheduler::$actions as $action ) {
				if ( $action['hook'] !== $hook || ( null !== $args && $action['args'] !== $args ) || ( '' !== $group && $action['group'] !== $group ) ) {
					continue;
				}
				if ( 'running' === $action['status'] || ( 'pending' === $action['status'] && null === $action['timestamp'] ) ) {
					return true;
				}
				if ( 'pending' === $action['status'] && ( false === $next || $action['timestamp'] < $next ) ) {
					$next = $action['timestamp'];
				}
			}
			return $next;
		}

		/**
		 * Whether a pending or running action matches.
		 *
		 * @param string     $hook  Hook.
		 * @param array|null $args  Arguments (null: any).
		 * @param string     $group Group.
		 * @return bool
		 */
		function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
			return false !== as_next_scheduled_action( $hook, $args, $group );
		}

		/**
		 * Cancel all pending actions that match, as Action Scheduler does: no arguments and a
		 * hook alone cancel the hook's every action, no arguments and a group alone the group's;
		 * otherwise the arguments must be exactly these (an empty array matches only empty ones).
		 *
		 * @param string $hook  Hook.
		 * @param array  $args  Arguments.
		 * @param string $group Group ('' any).
		 */
		function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
			$any_args = empty( $args ) && ( '' === $hook ) !== ( '' === $group );
			foreach ( Bikri\Tests\Action_Scheduler::$actions as $id => $action ) {
				if ( 'pending' === $action['status'] && ( '' === $hook || $action['hook'] === $hook )
					&& ( $any_args || $action['args'] === $args ) && ( '' === $group || $action['group'] === $group ) ) {
					Bikri\Tests\Action_Scheduler::$actions[ $id ]['status'] = 'canceled';
				}
			}
		}
	}
}

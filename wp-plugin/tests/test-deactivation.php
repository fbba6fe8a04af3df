<?php
/**
 * Deactivating the plugin leaves nothing of it planned: every Bikri hook, in Action Scheduler
 * and in WP-cron, whatever its arguments (the sync push included).
 *
 * @package Bikri
 */

/**
 * Deactivation tests.
 */
class Bikri_Deactivation_Test extends Bikri_Test_Case {

	/**
	 * The scheduling functions of Action Scheduler and WP-cron, with the position of their hook argument.
	 */
	const SCHEDULERS = array(
		'as_enqueue_async_action'      => 0,
		'as_schedule_single_action'    => 1,
		'as_schedule_recurring_action' => 2,
		'as_schedule_cron_action'      => 2,
		'wp_schedule_single_event'     => 1,
		'wp_schedule_event'            => 2,
	);

	public function test_deactivation_unschedules_every_bikri_action() {
		$report = array( array( 'wc_order_id' => 7, 'status' => 'processing' ), 2 );
		// What a running shop has planned: the push and a report retry in Action Scheduler, the
		// same through WP-cron (a shop without Action Scheduler), and the checkout copy's pull.
		as_enqueue_async_action( Bikri_Sync::HOOK_PUSH, array(), Bikri_Sync::GROUP );
		as_schedule_single_action( time() + 60, Bikri_Checkout::REPORT_HOOK, $report, 'bikri' );
		wp_schedule_single_event( time() + 60, Bikri_Sync::HOOK_PUSH );
		wp_schedule_single_event( time() + 60, Bikri_Checkout::REPORT_HOOK, $report );
		wp_schedule_single_event( time() + 60, Bikri_Loyalty::ATTACH_HOOK, array( 'hold-token-1', 7, 2 ) );
		Bikri_Checkout_Config::schedule();
		$this->assertEqualsCanonicalizing( Bikri_Uninstaller::SCHEDULED_HOOKS, self::cron_hooks() );
		$this->assertTrue( as_has_scheduled_action( Bikri_Sync::HOOK_PUSH ) );
		$this->assertTrue( as_has_scheduled_action( Bikri_Checkout::REPORT_HOOK ) );

		do_action( 'deactivate_' . plugin_basename( BIKRI_PLUGIN_FILE ) );

		$this->assertSame( array(), self::cron_hooks(), 'nothing of Bikri is left in WP-cron' );
		foreach ( Bikri_Uninstaller::SCHEDULED_HOOKS as $hook ) {
			$this->assertFalse( as_has_scheduled_action( $hook ), "$hook is still planned in Action Scheduler" );
		}
	}

	public function test_the_hook_list_names_every_hook_the_plugin_schedules() {
		$found = array();
		foreach ( glob( dirname( BIKRI_PLUGIN_FILE ) . '/includes/*.php' ) as $file ) {
			$source = (string) file_get_contents( $file );
			preg_match( '/^(?:final\s+|abstract\s+)?class\s+(\w+)/m', $source, $class );
			preg_match_all( '/\b(' . implode( '|', array_keys( self::SCHEDULERS ) ) . ')\(\s*([^;]*)\);/', $source, $calls, PREG_SET_ORDER );
			foreach ( $calls as $call ) {
				$args = array_map( 'trim', explode( ',', $call[2] ) );
				$hook = $args[ self::SCHEDULERS[ $call[1] ] ];
				if ( 0 === strpos( $hook, 'self::' ) ) {
					$hook = constant( $class[1] . '::' . substr( $hook, 6 ) );
				} elseif ( preg_match( '/^\'(\w+)\'$/', $hook, $literal ) ) {
					$hook = $literal[1];
				} else {
					$this->fail( basename( $file ) . ": cannot tell which hook {$call[1]}() schedules: $hook" );
				}
				$found[ $hook ] = true;
			}
		}
		$this->assertEqualsCanonicalizing( Bikri_Uninstaller::SCHEDULED_HOOKS, array_keys( $found ) );
	}

	/**
	 * The Bikri hooks with a run planned in WP-cron, whatever the arguments.
	 *
	 * @return string[]
	 */
	private static function cron_hooks() {
		$hooks = array();
		foreach ( (array) _get_cron_array() as $events ) {
			foreach ( array_keys( (array) $events ) as $hook ) {
				if ( 0 === strpos( $hook, 'bikri_' ) ) {
					$hooks[ $hook ] = true;
				}
			}
		}
		return array_keys( $hooks );
	}
}

<?php
/**
 * Plugin Name: Bikri timing (benchmark only)
 * Description: Measures, inside PHP, the time the Bikri plugin adds to a request: loading its files and building its objects, plus every hook callback it registered. Installed by bench/common.py (plugin_page_timing, for bench/otp.py and bench/adtags.py) into a throwaway WordPress; never for a shop.
 *
 * Load time runs from the moment WordPress reads the active plugins (just before it includes
 * them; Bikri is the only one) to Bikri's plugin_loaded. Every callback Bikri registered is
 * then wrapped with a timer. At shutdown one JSON line per request goes to the file named by
 * BIKRI_BENCH_TIMING: {"uri", "load_us", "hooks_us", "calls", "cpu_us", "by": {callback: µs}}.
 *
 * @package Bikri
 */

$GLOBALS['bikri_bench'] = array(
	'mark'  => 0,
	'load'  => 0,
	'hooks' => 0,
	'calls' => 0,
	'by'    => array(), // callback => nanoseconds, where the time goes
	// the same in CPU time (microseconds the process ran, from getrusage): what a busy machine's
	// waits for a core leave out, so figures taken on a loaded machine still compare
	'cpu_mark'  => 0,
	'cpu_load'  => 0,
	'cpu_hooks' => 0,
);

/**
 * Microseconds of CPU (user + system) this process has used.
 *
 * @return int
 */
function bikri_bench_cpu_us() {
	$usage = getrusage();
	return $usage['ru_utime.tv_sec'] * 1000000 + $usage['ru_utime.tv_usec'] + $usage['ru_stime.tv_sec'] * 1000000 + $usage['ru_stime.tv_usec'];
}

add_filter(
	'option_active_plugins',
	static function ( $plugins ) {
		$GLOBALS['bikri_bench']['cpu_mark'] = bikri_bench_cpu_us();
		$GLOBALS['bikri_bench']['mark']     = hrtime( true );
		return $plugins;
	},
	PHP_INT_MAX
);

/**
 * Whether a hook callback is Bikri's.
 *
 * @param mixed $callback Callback.
 * @return bool
 */
function bikri_bench_is_ours( $callback ) {
	if ( is_string( $callback ) ) {
		return 0 === strpos( $callback, 'bikri_' ) || 0 === strpos( $callback, 'Bikri_' );
	}
	if ( is_array( $callback ) && isset( $callback[0] ) ) {
		$class = is_object( $callback[0] ) ? get_class( $callback[0] ) : (string) $callback[0];
		return 0 === strpos( $class, 'Bikri_' );
	}
	return false;
}

add_action(
	'plugin_loaded',
	static function ( $file ) {
		if ( 'bikri.php' !== basename( $file ) ) {
			return;
		}
		$GLOBALS['bikri_bench']['load']     = hrtime( true ) - $GLOBALS['bikri_bench']['mark'];
		$GLOBALS['bikri_bench']['cpu_load'] = bikri_bench_cpu_us() - $GLOBALS['bikri_bench']['cpu_mark'];
		foreach ( $GLOBALS['wp_filter'] as $hook ) {
			foreach ( $hook->callbacks as $priority => $callbacks ) {
				foreach ( $callbacks as $id => $callback ) {
					if ( ! bikri_bench_is_ours( $callback['function'] ) ) {
						continue;
					}
					$original                                          = $callback['function'];
					$name                                              = is_array( $original ) ? ( is_object( $original[0] ) ? get_class( $original[0] ) : $original[0] ) . '::' . $original[1] : (string) $original;
					$hook->callbacks[ $priority ][ $id ]['function'] = static function ( ...$args ) use ( $original, $name ) {
						$cpu   = bikri_bench_cpu_us();
						$start = hrtime( true );
						try {
							return call_user_func_array( $original, $args );
						} finally {
							$spent                              = hrtime( true ) - $start;
							$GLOBALS['bikri_bench']['cpu_hooks'] += bikri_bench_cpu_us() - $cpu;
							$GLOBALS['bikri_bench']['hooks']   += $spent;
							$GLOBALS['bikri_bench']['by'][ $name ] = ( isset( $GLOBALS['bikri_bench']['by'][ $name ] ) ? $GLOBALS['bikri_bench']['by'][ $name ] : 0 ) + $spent;
							++$GLOBALS['bikri_bench']['calls'];
						}
					};
				}
			}
		}
	}
);

add_action(
	'shutdown',
	static function () {
		$file = getenv( 'BIKRI_BENCH_TIMING' );
		if ( ! $file ) {
			return;
		}
		$line = wp_json_encode(
			array(
				'uri'      => isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : '', // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- written to a local file, never shown.
				'load_us'  => $GLOBALS['bikri_bench']['load'] / 1000,
				'hooks_us' => $GLOBALS['bikri_bench']['hooks'] / 1000,
				'calls'    => $GLOBALS['bikri_bench']['calls'],
				'cpu_us'   => $GLOBALS['bikri_bench']['cpu_load'] + $GLOBALS['bikri_bench']['cpu_hooks'],
				'by'       => array_map(
					static function ( $ns ) {
						return $ns / 1000;
					},
					$GLOBALS['bikri_bench']['by']
				),
				'opcache'  => function_exists( 'opcache_get_status' ) && ! empty( opcache_get_status( false )['opcache_enabled'] ),
			)
		);
		file_put_contents( $file, $line . "\n", FILE_APPEND | LOCK_EX ); // phpcs:ignore WordPress.WP.AlternativeFunctions -- a local benchmark file.
	},
	PHP_INT_MAX
);

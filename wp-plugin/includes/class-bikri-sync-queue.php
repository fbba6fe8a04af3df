<?php
/**
 * Where order events wait until the service has acknowledged them.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The event queue: one non-autoloaded option row per event, named QUEUE_PREFIX + a UUID.
 *
 * Why rows and not one option holding an array: shoppers check out concurrently, and a
 * read-modify-write of one array would let two requests overwrite each other's events.
 * add_option() is a single INSERT, so concurrent writers never collide; only the worker
 * changes or deletes rows. option_id gives the insertion order. No schema of our own is
 * needed, so the queue works the same whether or not Action Scheduler is present.
 */
final class Bikri_Sync_Queue {

	/**
	 * Prefix of every queue row's option_name; nothing else uses it.
	 */
	const PREFIX = 'bikri_sync_q_';

	/**
	 * Most rows read at once; the queue is capped below this (Bikri_Sync::MAX_QUEUE), so
	 * events waiting for a retry can never hide due ones behind them.
	 */
	const SCAN = 6000;

	/**
	 * option_name of the senders' lock: one sender at a time (the request that just answered a
	 * shopper, the loopback, the scheduled worker), so no event is sent twice. Outside PREFIX.
	 */
	const LOCK = 'bikri_sync_lock';

	/**
	 * Adds an event.
	 *
	 * @param array $event {idempotency_key, type, order_id, date_modified_gmt, order?}.
	 * @return bool
	 */
	public function add( array $event ) {
		$event['attempts']   = 0;
		$event['not_before'] = 0;
		return add_option( self::PREFIX . str_replace( '-', '', $event['idempotency_key'] ), $event, '', 'no' );
	}

	/**
	 * Events whose retry time has come, oldest first.
	 *
	 * @param int $now   Current Unix time.
	 * @param int $limit Most rows to read.
	 * @return array[] Each event with its row name under '_name'.
	 */
	public function due( $now, $limit ) {
		$due = array();
		foreach ( $this->rows( self::SCAN ) as $name => $event ) {
			if ( (int) $event['not_before'] <= $now ) {
				$event['_name'] = $name;
				$due[]          = $event;
				if ( count( $due ) >= $limit ) {
					break;
				}
			}
		}
		return $due;
	}

	/**
	 * The earliest retry time among waiting events (0 when the queue is empty).
	 *
	 * @return int
	 */
	public function next_retry() {
		$next = 0;
		foreach ( $this->rows( self::SCAN ) as $event ) {
			$when = (int) $event['not_before'];
			$next = 0 === $next ? $when : min( $next, $when );
		}
		return $next;
	}

	/**
	 * Stores a changed event (attempts, retry time, error) back in its row.
	 *
	 * @param array $event An event from due().
	 */
	public function update( array $event ) {
		$name = $event['_name'];
		unset( $event['_name'] );
		update_option( $name, $event, false );
	}

	/**
	 * Deletes rows by name, in one query.
	 *
	 * @param string[] $names Row names from due().
	 */
	public function delete( array $names ) {
		global $wpdb;
		$names = array_values( array_unique( $names ) );
		if ( empty( $names ) ) {
			return;
		}
		$placeholders = implode( ', ', array_fill( 0, count( $names ), '%s' ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQLPlaceholders -- one DELETE per acknowledged batch instead of 100; placeholders match $names.
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name IN ($placeholders)", $names ) );
		foreach ( $names as $name ) {
			wp_cache_delete( $name, 'options' );
		}
	}

	/**
	 * How many events wait.
	 *
	 * @return int
	 */
	public function count() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- the options API cannot count by prefix.
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( self::PREFIX ) . '%' ) );
	}

	/**
	 * Deletes every queued event (uninstall, "clear data").
	 */
	public function clear() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- every row with our own exact prefix.
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name = %s", $wpdb->esc_like( self::PREFIX ) . '%', self::LOCK ) );
		wp_cache_flush();
	}

	/**
	 * Takes the senders' lock for $seconds, or returns null while another sender holds it.
	 *
	 * An INSERT that fails on the duplicate name is the one atomic step: add_option() would not
	 * do (it reads the cache first, then upserts, so two requests could both "add" it). A lock
	 * left by a sender that died (PHP timeout, a killed worker) is taken over once it expires;
	 * the DELETE names the exact stale value, so of two requests that both saw it only one
	 * removes it.
	 *
	 * @param int $seconds How long the lock holds without being released.
	 * @return string|null The lock's value, to release it with; null when it is taken.
	 */
	public function lock( $seconds ) {
		global $wpdb;
		$value = ( time() + (int) $seconds ) . ' ' . wp_generate_uuid4();
		for ( $try = 0; $try < 2; $try++ ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- an atomic insert-if-absent; the options API has none.
			if ( 1 === (int) $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')", self::LOCK, $value ) ) ) {
				return $value;
			}
			$held = $this->lock_value();
			if ( null !== $held && (int) $held > time() ) {
				return null;
			}
			if ( null !== $held ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- removes exactly the expired lock that was read.
				$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name = %s AND option_value = %s", self::LOCK, $held ) );
			}
		}
		return null;
	}

	/**
	 * Releases the lock, if it is still the one taken (an expired one may have been taken over).
	 *
	 * @param string $value What lock() returned.
	 */
	public function unlock( $value ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- the counterpart of lock().
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name = %s AND option_value = %s", self::LOCK, (string) $value ) );
	}

	/**
	 * When the lock held now expires (Unix time), 0 when nobody holds it.
	 *
	 * @return int
	 */
	public function locked_until() {
		$held = $this->lock_value();
		return null === $held ? 0 : (int) $held;
	}

	/**
	 * The lock's stored value, null when it is free.
	 *
	 * @return string|null
	 */
	private function lock_value() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- never cached: it changes under other requests.
		$held = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::LOCK ) );
		return null === $held ? null : (string) $held;
	}

	/**
	 * Queue rows in insertion order, name => event.
	 *
	 * @param int $limit Most rows.
	 * @return array[]
	 */
	private function rows( $limit ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- the options API cannot list by prefix.
		$rows   = $wpdb->get_results( $wpdb->prepare( "SELECT option_name, option_value FROM {$wpdb->options} WHERE option_name LIKE %s ORDER BY option_id ASC LIMIT %d", $wpdb->esc_like( self::PREFIX ) . '%', (int) $limit ) );
		$events = array();
		foreach ( (array) $rows as $row ) {
			$event = maybe_unserialize( $row->option_value );
			if ( is_array( $event ) && isset( $event['idempotency_key'], $event['order_id'] ) ) {
				$events[ $row->option_name ] = $event;
			}
		}
		return $events;
	}
}

<?php
/**
 * Writes orders into WooCommerce's tables the way WooCommerce's data stores do, for the export
 * tests. WooCommerce itself is not available here (see tests/stand-ins), so the rows follow its
 * storage: WC_Order_Data_Store_CPT (posts/postmeta) and OrdersTableDataStore (HPOS).
 *
 * @package Bikri
 */

namespace Bikri\Tests;

/**
 * Order tables for the tests.
 */
final class Order_Tables {

	/**
	 * Creates WooCommerce's order tables (fixtures/woocommerce-order-tables.sql) with a prefix.
	 * DDL commits, so this runs in the bootstrap, outside the per-test transactions.
	 *
	 * @param string $prefix Table prefix.
	 */
	public static function create( $prefix ) {
		global $wpdb;
		$sql = str_replace( '{prefix}', $prefix, (string) file_get_contents( __DIR__ . '/fixtures/woocommerce-order-tables.sql' ) );
		$sql = preg_replace( '/^--.*$/m', '', $sql );
		foreach ( array_filter( array_map( 'trim', explode( ";\n", $sql ) ) ) as $statement ) {
			$wpdb->query( $statement ); // phpcs:ignore WordPress.DB
		}
		if ( $prefix !== $wpdb->prefix ) {
			// Another site of a multisite: its own posts and postmeta too.
			foreach ( array( 'posts', 'postmeta' ) as $table ) {
				$wpdb->query( "CREATE TABLE IF NOT EXISTS {$prefix}{$table} LIKE {$wpdb->prefix}{$table}" ); // phpcs:ignore WordPress.DB
			}
		}
	}

	/**
	 * Writes a product (a post with _sku), as products live in posts in both storages.
	 *
	 * @param int    $id     Post id.
	 * @param string $sku    SKU ('' for none).
	 * @param string $type   product or product_variation.
	 * @param int    $parent Parent product of a variation.
	 * @param string $prefix Table prefix.
	 */
	public static function product( $id, $sku, $type = 'product', $parent = 0, $prefix = null ) {
		global $wpdb;
		$prefix = null === $prefix ? $wpdb->prefix : $prefix;
		self::insert( $prefix . 'posts', self::post_row( $id, $type, 'publish', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '', $parent ) );
		self::insert_meta( $prefix . 'postmeta', 'post_id', $id, '_sku', $sku );
	}

	/**
	 * An order as wc/v3 answers it (the shape write() takes, its fields in wc/v3's order, which
	 * the export's records keep): a cash-on-delivery checkout order placed 2026-01-10 10:00 and
	 * saved at 10:05 GMT, with nothing in it, under $fields.
	 *
	 * @param array $fields The fields that matter to the test (id at least).
	 * @return array
	 */
	public static function order( array $fields ) {
		return array_merge(
			array(
				'id'                   => $fields['id'],
				'parent_id'            => 0,
				'number'               => (string) $fields['id'],
				'status'               => 'processing',
				'currency'             => 'BDT',
				'date_created_gmt'     => '2026-01-10T10:00:00',
				'date_modified_gmt'    => '2026-01-10T10:05:00',
				'date_paid_gmt'        => null,
				'date_completed_gmt'   => null,
				'discount_total'       => '0.00',
				'shipping_total'       => '0.00',
				'cart_tax'             => '0.00',
				'shipping_tax'         => '0.00',
				'total_tax'            => '0.00',
				'total'                => '0.00',
				'customer_id'          => 0,
				'payment_method'       => 'cod',
				'payment_method_title' => 'Cash on delivery',
				'created_via'          => 'checkout',
				'customer_note'        => '',
				'billing'              => array(),
				'shipping'             => array(),
				'line_items'           => array(),
				'refunds'              => array(),
				'meta_data'            => array(),
			),
			$fields
		);
	}

	/**
	 * Writes one order, given as wc/v3 answers it, into a storage.
	 *
	 * @param string $storage 'posts' or 'hpos'.
	 * @param array  $order   wc/v3 order: id, status, currency, dates (GMT), money strings,
	 *                        billing, shipping, line_items, refunds, meta_data, plus
	 *                        cart_tax and shipping_tax (which wc/v3 also answers).
	 * @param string $prefix  Table prefix.
	 */
	public static function write( $storage, array $order, $prefix = null ) {
		global $wpdb;
		$prefix = null === $prefix ? $wpdb->prefix : $prefix;
		$status = in_array( $order['status'], array( 'trash', 'draft', 'auto-draft' ), true ) ? $order['status'] : 'wc-' . $order['status'];
		$gmt    = static function ( $iso ) {
			return null === $iso ? null : str_replace( 'T', ' ', $iso );
		};
		if ( 'posts' === $storage ) {
			self::insert( $prefix . 'posts', self::post_row( $order['id'], 'shop_order', $status, $gmt( $order['date_created_gmt'] ), $gmt( $order['date_modified_gmt'] ), $order['customer_note'], 0 ) );
			$meta = array(
				'_order_total'         => $order['total'],
				'_cart_discount'       => $order['discount_total'],
				'_order_shipping'      => $order['shipping_total'],
				'_order_tax'           => $order['cart_tax'],
				'_order_shipping_tax'  => $order['shipping_tax'],
				'_order_currency'      => $order['currency'],
				'_payment_method'      => $order['payment_method'],
				'_payment_method_title' => $order['payment_method_title'],
				'_customer_user'       => (string) $order['customer_id'],
				'_created_via'         => $order['created_via'],
				'_order_key'           => 'wc_order_' . $order['id'],
				// WooCommerce keeps these two as Unix timestamps (and '' when unset).
				'_date_paid'           => null === $order['date_paid_gmt'] ? '' : (string) strtotime( $order['date_paid_gmt'] . 'Z' ),
				'_date_completed'      => null === $order['date_completed_gmt'] ? '' : (string) strtotime( $order['date_completed_gmt'] . 'Z' ),
			);
			foreach ( array( 'billing', 'shipping' ) as $type ) {
				foreach ( $order[ $type ] as $field => $value ) {
					$meta[ '_' . $type . '_' . $field ] = $value;
				}
			}
			foreach ( $order['meta_data'] as $entry ) {
				$meta[ $entry['key'] ] = maybe_serialize( $entry['value'] );
			}
			foreach ( $meta as $key => $value ) {
				self::insert_meta( $prefix . 'postmeta', 'post_id', $order['id'], $key, (string) $value );
			}
			foreach ( $order['refunds'] as $refund ) {
				$made = $gmt( isset( $refund['date_created_gmt'] ) ? $refund['date_created_gmt'] : $order['date_modified_gmt'] );
				self::insert( $prefix . 'posts', self::post_row( $refund['id'], 'shop_order_refund', 'wc-completed', $made, $made, '', $order['id'] ) );
				foreach ( array(
					'_refund_amount' => ltrim( $refund['total'], '-' ),
					'_refund_reason' => $refund['reason'],
					'_order_total'   => $refund['total'],
				) as $key => $value ) {
					self::insert_meta( $prefix . 'postmeta', 'post_id', $refund['id'], $key, $value );
				}
			}
		} else {
			self::insert(
				$prefix . 'wc_orders',
				array(
					'id'                   => $order['id'],
					'status'               => $status,
					'currency'             => $order['currency'],
					'type'                 => 'shop_order',
					'tax_amount'           => $order['cart_tax'],
					'total_amount'         => $order['total'],
					'customer_id'          => $order['customer_id'],
					'billing_email'        => $order['billing']['email'],
					'date_created_gmt'     => $gmt( $order['date_created_gmt'] ),
					'date_updated_gmt'     => $gmt( $order['date_modified_gmt'] ),
					'parent_order_id'      => 0,
					'payment_method'       => $order['payment_method'],
					'payment_method_title' => $order['payment_method_title'],
					'transaction_id'       => '',
					'ip_address'           => '103.4.145.2',
					'user_agent'           => 'Mozilla/5.0',
					'customer_note'        => $order['customer_note'],
				)
			);
			self::insert(
				$prefix . 'wc_order_operational_data',
				array(
					'order_id'              => $order['id'],
					'created_via'           => $order['created_via'],
					'woocommerce_version'   => '8.9.1',
					'order_key'             => 'wc_order_' . $order['id'],
					'date_paid_gmt'         => $gmt( $order['date_paid_gmt'] ),
					'date_completed_gmt'    => $gmt( $order['date_completed_gmt'] ),
					'shipping_tax_amount'   => $order['shipping_tax'],
					'shipping_total_amount' => $order['shipping_total'],
					'discount_tax_amount'   => '0',
					'discount_total_amount' => $order['discount_total'],
				)
			);
			foreach ( array( 'billing', 'shipping' ) as $type ) {
				self::insert( $prefix . 'wc_order_addresses', array_merge( array( 'order_id' => $order['id'], 'address_type' => $type ), $order[ $type ] ) );
			}
			foreach ( $order['meta_data'] as $entry ) {
				self::insert_meta( $prefix . 'wc_orders_meta', 'order_id', $order['id'], $entry['key'], maybe_serialize( $entry['value'] ) );
			}
			foreach ( $order['refunds'] as $refund ) {
				self::insert(
					$prefix . 'wc_orders',
					array(
						'id'               => $refund['id'],
						'status'           => 'wc-completed',
						'currency'         => $order['currency'],
						'type'             => 'shop_order_refund',
						'total_amount'     => $refund['total'],
						'parent_order_id'  => $order['id'],
						'date_created_gmt' => $gmt( isset( $refund['date_created_gmt'] ) ? $refund['date_created_gmt'] : $order['date_modified_gmt'] ),
						'date_updated_gmt' => $gmt( isset( $refund['date_created_gmt'] ) ? $refund['date_created_gmt'] : $order['date_modified_gmt'] ),
					)
				);
				foreach ( array(
					'_refund_amount' => ltrim( $refund['total'], '-' ),
					'_refund_reason' => $refund['reason'],
				) as $key => $value ) {
					self::insert_meta( $prefix . 'wc_orders_meta', 'order_id', $refund['id'], $key, $value );
				}
			}
		}
		// Items live in the same tables in both storages; with sync on WooCommerce writes them once.
		if ( 'hpos' === $storage || ! self::has_items( $order['id'], $prefix ) ) {
			foreach ( $order['line_items'] as $item ) {
				self::insert(
					$prefix . 'woocommerce_order_items',
					array(
						'order_item_id'   => $item['id'],
						'order_item_name' => $item['name'],
						'order_item_type' => 'line_item',
						'order_id'        => $order['id'],
					)
				);
				foreach ( array(
					'_product_id'        => $item['product_id'],
					'_variation_id'      => $item['variation_id'],
					'_qty'               => $item['quantity'],
					'_tax_class'         => '',
					'_line_subtotal'     => $item['subtotal'],
					'_line_subtotal_tax' => '0',
					'_line_total'        => $item['total'],
					'_line_tax'          => '0',
				) as $key => $value ) {
					self::insert_meta( $prefix . 'woocommerce_order_itemmeta', 'order_item_id', $item['id'], $key, (string) $value );
				}
			}
			// Shipping lines sit in the same table: the export must leave them out of line_items.
			self::insert(
				$prefix . 'woocommerce_order_items',
				array(
					'order_item_id'   => $order['id'] * 10 + 9,
					'order_item_name' => 'Flat rate',
					'order_item_type' => 'shipping',
					'order_id'        => $order['id'],
				)
			);
		}
	}

	/**
	 * Whether an order already has item rows (HPOS with sync on writes them once).
	 *
	 * @param int    $order_id Order id.
	 * @param string $prefix   Prefix.
	 * @return bool
	 */
	private static function has_items( $order_id, $prefix ) {
		global $wpdb;
		return (bool) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$prefix}woocommerce_order_items WHERE order_id = %d", $order_id ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * A posts row.
	 *
	 * @param int    $id       ID.
	 * @param string $type     post_type.
	 * @param string $status   post_status.
	 * @param string $created  GMT creation.
	 * @param string $modified GMT modification.
	 * @param string $excerpt  post_excerpt (an order's customer note).
	 * @param int    $parent   post_parent.
	 * @return array
	 */
	private static function post_row( $id, $type, $status, $created, $modified, $excerpt, $parent ) {
		return array(
			'ID'                => $id,
			'post_author'       => 1,
			'post_date'         => $created,
			'post_date_gmt'     => $created,
			'post_content'      => '',
			'post_title'        => 'Order &ndash; ' . $id,
			'post_excerpt'      => (string) $excerpt,
			'post_status'       => $status,
			'comment_status'    => 'closed',
			'ping_status'       => 'closed',
			'post_name'         => 'order-' . $id,
			'to_ping'           => '',
			'pinged'            => '',
			'post_modified'     => $modified,
			'post_modified_gmt' => $modified,
			'post_content_filtered' => '',
			'post_parent'       => $parent,
			'post_type'         => $type,
		);
	}

	/**
	 * Inserts a meta row: postmeta (post_id), wc_orders_meta (order_id) or
	 * woocommerce_order_itemmeta (order_item_id).
	 *
	 * @param string $table        Table.
	 * @param string $owner_column The owner's id column.
	 * @param int    $owner_id     The owner's id.
	 * @param string $key          meta_key.
	 * @param mixed  $value        meta_value.
	 */
	private static function insert_meta( $table, $owner_column, $owner_id, $key, $value ) {
		self::insert(
			$table,
			array(
				$owner_column => $owner_id,
				'meta_key'    => $key,
				'meta_value'  => $value,
			)
		);
	}

	/**
	 * Inserts a row or fails loudly.
	 *
	 * @param string $table Table.
	 * @param array  $row   Row.
	 */
	private static function insert( $table, array $row ) {
		global $wpdb;
		if ( false === $wpdb->insert( $table, $row ) ) { // phpcs:ignore WordPress.DB
			throw new \RuntimeException( "insert into $table failed: " . $wpdb->last_error );
		}
	}
}

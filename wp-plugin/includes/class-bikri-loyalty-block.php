<?php
/**
 * Loyalty points in the Checkout block (U2): WooCommerce Blocks' integration for the box's script.
 *
 * Loaded only from Bikri_Loyalty::action_checkout_block_registration(), which WooCommerce Blocks
 * fires, so the interface below exists whenever this file is read.
 *
 * @package Bikri
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

use Automattic\WooCommerce\Blocks\Integrations\IntegrationInterface;

/**
 * The Checkout block loads the box's script (assets/js/checkout-loyalty-block.js) with its data
 * (in wcSettings, as "bikri-loyalty_data") while the shop offers points.
 *
 * The script is plain JavaScript on WordPress's and WooCommerce's globals (no build step): it
 * registers a plugin in the 'woocommerce-checkout' scope that fills the ExperimentalOrderMeta
 * slot, and does nothing where those globals are missing.
 */
final class Bikri_Loyalty_Block implements IntegrationInterface {

	/**
	 * The script's handle.
	 */
	const SCRIPT = 'bikri-checkout-loyalty-block';

	/**
	 * Loyalty at checkout.
	 *
	 * @var Bikri_Loyalty
	 */
	private $loyalty;

	/**
	 * Builds it.
	 *
	 * @param Bikri_Loyalty $loyalty Loyalty at checkout.
	 */
	public function __construct( Bikri_Loyalty $loyalty ) {
		$this->loyalty = $loyalty;
	}

	/**
	 * The integration's name (its data is "bikri-loyalty_data" in wcSettings).
	 *
	 * @return string
	 */
	public function get_name() {
		return Bikri_Loyalty::BLOCK_NAMESPACE;
	}

	/**
	 * Registers the script (enqueued by the block only where it renders).
	 */
	public function initialize() {
		Bikri_Loyalty::register_call_script();
		wp_register_script(
			self::SCRIPT,
			plugins_url( 'assets/js/checkout-loyalty-block.js', BIKRI_PLUGIN_FILE ),
			array( 'wp-element', 'wp-plugins', 'wc-blocks-checkout', 'wc-settings', Bikri_Loyalty::CALL_SCRIPT ),
			BIKRI_VERSION,
			true
		);
	}

	/**
	 * The front end's scripts: the box's, while the shop offers points.
	 *
	 * @return string[]
	 */
	public function get_script_handles() {
		return $this->loyalty->offered() ? array( self::SCRIPT ) : array();
	}

	/**
	 * The editor's scripts: none (the box is the shopper's).
	 *
	 * @return string[]
	 */
	public function get_editor_script_handles() {
		return array();
	}

	/**
	 * The script's data: where the balance is asked, the nonce, the box's words.
	 *
	 * @return array
	 */
	public function get_script_data() {
		return $this->loyalty->offered() ? $this->loyalty->block_script_data() : array();
	}
}

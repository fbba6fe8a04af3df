"""Demo mode only (BIKRI_DEMO=1): a stand-in wp-admin that frames Bikri's pages as the plugin does."""

from tests.sms.conftest import fund, gateway, ledger  # noqa: F401  (fixtures)

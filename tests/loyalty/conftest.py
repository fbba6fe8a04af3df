from tests.sms.conftest import fund, gateway  # noqa: F401  (fixtures)

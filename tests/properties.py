"""Property tests against the database (hypothesis): random histories written to a real shop,
then what the service keeps compared with what it must hold."""
import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

SEEDS = st.integers(0, 10**9)

_shops = itertools.count(1)


def database_property(examples, **strategies):
    """The test run by hypothesis `examples` times, its arguments drawn from `strategies`. No
    deadline (every example writes to the database), and the function-scoped fixtures (app,
    make_shop, shop) allowed on purpose: each example makes a shop of its own (`new_shop`), or
    compares everything stored whatever the examples before it left."""
    def decorate(test):
        return settings(max_examples=examples, deadline=None,
                        suppress_health_check=[HealthCheck.function_scoped_fixture])(given(**strategies)(test))
    return decorate


def new_shop(make_shop, name):
    """A shop no example or test before made: `make_shop` with a URL of its own."""
    return make_shop(url=f"https://{name}-{next(_shops)}.example.com")

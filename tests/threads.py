"""Running the same work in several threads at once (a double click, racing payments)."""
import threading


def errors_at_once(work, n, timeout=30.0):
    """`work()` in `n` threads started together, each waited for up to `timeout` seconds; the
    exceptions they raised, for the test to assert on (an exception in a thread fails nothing)."""
    errors = []

    def run():
        try:
            work()
        except Exception as error:  # noqa: BLE001 - returned to the test
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return errors

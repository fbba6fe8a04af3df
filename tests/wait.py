"""Waiting on real processes (workers, schedulers): poll until a condition holds."""
import time


def wait_until(condition, seconds=30.0, what="the condition", logs=(), step=0.1):
    """Poll `condition` every `step` seconds until it answers something true, and return that
    answer; fail after `seconds` with `what` and the logs of the processes in `logs`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what} did not happen within {seconds:.0f}s\n" + "\n".join(p.log_path.read_text() for p in logs))

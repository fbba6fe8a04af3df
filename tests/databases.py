"""Throwaway PostgreSQL databases for a test run."""
import subprocess
import sys


def drop_in_the_background(server: str, name: str) -> None:
    """Drop database `name` on `server` (postgresql://user@host:port) in a process of its own.
    DROP DATABASE waits for a checkpoint of everything written meanwhile (99 s at the end of a
    loaded CI run), which nothing in the run needs to wait for."""
    subprocess.Popen([sys.executable, "-c", f"import psycopg; psycopg.connect({server + '/postgres'!r}, "
                      f"autocommit=True).execute('DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)')"],
                     start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

"""Run a sandbox WSGI app on a real loopback socket, in a thread (tests) or in the foreground (demo)."""
import socket
import threading

from werkzeug.serving import make_server

# name -> factory returning a WSGI app; sandboxes add themselves here
SANDBOXES: dict = {}


def register_sandbox(name: str):
    def decorator(factory):
        SANDBOXES[name] = factory
        return factory
    return decorator


def drop_connection(environ) -> None:
    """Close the client's connection under the server, before it answers: the client sees the
    connection drop, as over a flaky network or when a crash comes between the other side's
    work and our hearing of it. Sandboxes use it for "done, but the answer was lost"."""
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class SandboxServer:
    """`with SandboxServer(app) as url:` serves `app` on 127.0.0.1 at a free port."""

    def __init__(self, wsgi_app, host: str = "127.0.0.1", port: int = 0):
        self._server = make_server(host, port, wsgi_app, threaded=True)
        # A short poll interval: stop() waits for the loop's next poll, and tests stop many servers.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self.url = f"http://{host}:{self._server.server_port}"

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

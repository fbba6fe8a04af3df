"""Run a sandbox WSGI app on a real loopback socket, in a thread (tests) or in the foreground (demo)."""
import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

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


class RoutedSandbox:
    """A sandbox as a WSGI app over its route table. A subclass lists `ROUTES` as rows
    (methods, path, endpoint), the service's paths as its documentation gives them and the
    sandbox's own controls under /__sandbox__/ (state and reset come with every table); a
    request goes to the instance's `on_<endpoint>(request, **path_args)`, after `heard`."""

    ROUTES: tuple = ()
    url_map: Map

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        rows = (*cls.ROUTES, ("GET", "/__sandbox__/state", "control_state"),
                ("POST", "/__sandbox__/reset", "control_reset"))
        cls.url_map = Map([Rule(path, endpoint=endpoint, methods=methods.split()) for methods, path, endpoint in rows])

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
        except HTTPException as error:
            return error(environ, start_response)
        self.heard(endpoint, request)
        response = getattr(self, f"on_{endpoint}")(request, **args)
        return response(environ, start_response)

    def heard(self, endpoint: str, request: Request) -> None:
        """Before each answer; a sandbox that records every call it hears says so here."""


class _QuietHandler(WSGIRequestHandler):
    """No line per request: a backfill makes thousands; errors are still logged. HTTP/1.1, so
    clients keep their connection open between requests as they do with the real services
    (a new connection and a new server thread per request cost both sides more CPU than the
    request itself)."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs):
        pass


class SandboxServer:
    """`with SandboxServer(app) as url:` serves `app` on 127.0.0.1 at a free port.

    With `ssl_context` (see `self_signed_tls`) it serves https, so code that behaves
    differently over TLS (WooCommerce's authentication does) is tested over real TLS.
    """

    def __init__(self, wsgi_app, host: str = "127.0.0.1", port: int = 0, ssl_context=None):
        self._server = make_server(host, port, wsgi_app, threaded=True, ssl_context=ssl_context,
                                   request_handler=_QuietHandler)
        # A short poll interval: stop() waits for the loop's next poll, and tests stop many servers.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://{host}:{self._server.server_port}"

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


def self_signed_tls(directory) -> tuple[ssl.SSLContext, str]:
    """A server TLS context for 127.0.0.1 and the path of its certificate.

    Clients pass the certificate path as their CA bundle (`verify=path`), so the
    connection is verified for real instead of switching verification off.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "sandbox-cert.pem", directory / "sandbox-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, str(cert_path)

"""The web process as shipped (gunicorn.conf.py), alone and behind the nginx configuration in
deploy/nginx/, against clients that hold connections: browsers open connections ahead of need
and may stay silent on them. Each once held a sync worker until gunicorn's 30 s timeout; now a
request is answered within seconds however many sit idle."""
import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
SILENT_SECONDS = 2  # BIKRI_WEB_KEEPALIVE: how long a new connection may stay silent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web(database_url, tmp_path_factory):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BIKRI_SECRET_KEY": "web-worker-test",
           "BIKRI_INSTANCE_DIR": str(tmp_path_factory.mktemp("web")), "BIKRI_BIND": f"127.0.0.1:{port}",
           "BIKRI_WEB_WORKERS": str(WORKERS), "BIKRI_WEB_KEEPALIVE": str(SILENT_SECONDS)}
    for name in ("BIKRI_WEB_THREADS", "BIKRI_WEB_WORKER_CLASS"):
        env.pop(name, None)  # the shipped default
    logs = tmp_path_factory.mktemp("web-log")
    log_path, access_log = logs / "gunicorn.log", logs / "access.log"
    env.update(BIKRI_ACCESS_LOG=str(access_log), BIKRI_PROXY_COUNT="1")
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "backend.wsgi:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline, "gunicorn did not answer"
                    time.sleep(0.3)
            yield {"port": port, "url": f"http://127.0.0.1:{port}", "log": log_path, "access_log": access_log}
        finally:
            process.terminate()
            process.wait(timeout=30)


def idle_sockets(port: int, n: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]


def test_idle_sockets_do_not_hold_the_workers(web):
    idle = idle_sockets(web["port"], 4 * WORKERS)
    try:
        time.sleep(0.5)  # each worker that would take one has taken it
        started = time.monotonic()
        for _ in range(3):
            assert requests.get(web["url"] + "/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 3, "bounded by the request, not by gunicorn's 30 s timeout"
    finally:
        for s in idle:
            s.close()
    assert "WORKER TIMEOUT" not in web["log"].read_text()


def test_a_socket_opened_ahead_is_served_when_it_speaks(web):
    early, = idle_sockets(web["port"], 1)
    with early:
        time.sleep(1)  # a browser's preconnect, used a moment later
        assert requests.get(web["url"] + "/healthz", timeout=5).status_code == 200, "others are served meanwhile"
        early.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := early.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b'"status":"ok"' in answer.replace(b" ", b"")


def test_a_socket_that_stays_silent_is_closed(web):
    silent, = idle_sockets(web["port"], 1)
    with silent:
        started = time.monotonic()
        silent.settimeout(SILENT_SECONDS + 5)
        assert silent.recv(1) == b"", "closed without an answer"
        assert time.monotonic() - started < SILENT_SECONDS + 2.5


# --- behind nginx (deploy/nginx/bikri.conf) -------------------------------------------------------

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def render(config: str, replacements: dict) -> str:
    for old, new in replacements.items():
        assert old in config, f"deploy/nginx/bikri.conf no longer has {old!r}: update this test"
        config = config.replace(old, new)
    return config


@pytest.fixture(scope="module")
def nginx(web, tmp_path_factory):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    work = tmp_path_factory.mktemp("nginx")
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    https_port, http_port = free_port(), free_port()
    site = render((ROOT / "deploy/nginx/bikri.conf").read_text(), {
        "/srv/bikri": str(ROOT), "127.0.0.1:5000": f"127.0.0.1:{web['port']}",
        "/etc/ssl/bikri/fullchain.pem": str(cert), "/etc/ssl/bikri/privkey.pem": str(key),
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;", "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};", "listen [::]:80;": "",
        "server_name bikri.example.com;": "server_name 127.0.0.1;"})
    (work / "bikri.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {work / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (work / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {work / 'nginx.pid'};\nerror_log {work / 'error.log'};\n"
        + "events { worker_connections 256; }\n"
        + f"http {{\ninclude /etc/nginx/mime.types;\naccess_log off;\n{temp}include {work / 'bikri.conf'};\n}}\n")
    check = subprocess.run([NGINX, "-t", "-p", str(work), "-c", str(work / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([NGINX, "-p", str(work), "-c", str(work / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"https://127.0.0.1:{https_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(base + "/healthz", timeout=2, verify=str(cert))
                break
            except requests.RequestException:
                assert process.poll() is None and time.monotonic() < deadline, (work / "error.log").read_text()
                time.sleep(0.2)
        yield {"url": base, "http_url": f"http://127.0.0.1:{http_port}", "port": https_port, "cert": str(cert)}
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_nginx_passes_requests_and_redirects_plain_http(nginx):
    answer = requests.get(nginx["url"] + "/healthz", timeout=5, verify=nginx["cert"])
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": "ok"}
    plain = requests.get(nginx["http_url"] + "/embed/orders/", timeout=5, allow_redirects=False)
    assert plain.status_code == 301 and plain.headers["Location"] == "https://127.0.0.1/embed/orders/"


def test_nginx_serves_the_static_files_itself(nginx, web):
    for url, path in (("/embed/orders/static/desk.js", "backend/desk/static/desk.js"),
                      ("/embed/static/" + sorted(os.listdir(ROOT / "backend/embed/static"))[0],
                       "backend/embed/static/" + sorted(os.listdir(ROOT / "backend/embed/static"))[0])):
        answer = requests.get(nginx["url"] + url, timeout=5, verify=nginx["cert"])
        assert answer.status_code == 200 and answer.content == (ROOT / path).read_bytes(), url
        assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.headers["Cache-Control"] == "no-cache"
        again = requests.get(nginx["url"] + url, timeout=5, verify=nginx["cert"], headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304
    time.sleep(0.5)  # gunicorn writes its access log line after the answer
    logged = web["access_log"].read_text()
    assert "/healthz" in logged and "/static/" not in logged, "gunicorn never saw them"


def test_slow_clients_behind_nginx_hold_no_worker(nginx):
    """Requests whose bodies trickle in (a slow phone upload) wait in nginx, not in a worker."""
    context = ssl.create_default_context(cafile=nginx["cert"])
    slow = []
    try:
        for _ in range(3 * WORKERS):
            raw = socket.create_connection(("127.0.0.1", nginx["port"]), timeout=10)
            conn = context.wrap_socket(raw, server_hostname="127.0.0.1")
            conn.sendall(b"POST /api/v1/sites/activate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{\"license_key\": ")
            slow.append(conn)
        time.sleep(0.5)
        started = time.monotonic()
        for _ in range(3):
            assert requests.get(nginx["url"] + "/healthz", timeout=5, verify=nginx["cert"]).status_code == 200
        assert time.monotonic() - started < 3
    finally:
        for conn in slow:
            conn.close()

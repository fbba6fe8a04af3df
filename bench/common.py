"""Shared by the benchmarks: a throwaway PostgreSQL database, the web process as shipped
(gunicorn.conf.py), worker processes, wrk as the load generator in a separate process, a paced
(open-loop) load generator for arrival rates, and CPU accounting of the processes."""
import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BIKRI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


# The start of the benches' PHP state scripts: load a throwaway WordPress (its folder is argv[1])
# and make its Bikri plugin an active site. The service URL answers nothing: a page view must
# not call the service.
WP_ACTIVE_SITE_PHP = r"""<?php
$home = parse_url( getenv( 'WP_HOME' ) );
$_SERVER['HTTP_HOST'] = $home['host'] . ':' . $home['port'];
$_SERVER['SERVER_NAME'] = $home['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
require $argv[1] . '/wp-load.php';
update_option( 'bikri_service_url', 'http://127.0.0.1:9', false );
update_option( 'bikri_token', 'bench-site-token', false );
update_option( 'bikri_license', array( 'status' => 'active', 'plan' => 'standard' ), true );
update_option( 'bikri_last_check', time(), false );
"""

@contextlib.contextmanager
def throwaway_database():
    name = f"bikri_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_env(database_url: str, port: int, **extra) -> dict:
    instance = tempfile.mkdtemp(prefix="bikri-bench-")
    return {**os.environ, "DATABASE_URL": database_url, "BIKRI_SECRET_KEY": "bench-secret", "BIKRI_INSTANCE_DIR": instance,
            "BIKRI_BIND": f"127.0.0.1:{port}", "BIKRI_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BIKRI_ALLOW_PRIVATE_SHOP_HOSTS": "1", **extra}  # the sandbox shops are on 127.0.0.1


WEB_PIDS: dict[str, int] = {}  # base URL -> gunicorn master's pid, for CPU accounting


@contextlib.contextmanager
def web_process(env: dict):
    process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "backend.wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = env["BIKRI_PUBLIC_URL"]
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start: " + process.stderr.read1().decode(errors="replace"))
        WEB_PIDS[base] = process.pid
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(env["BIKRI_INSTANCE_DIR"], ignore_errors=True)


def start_sandbox(name: str, port: int, env: dict, control_path: str, control: dict) -> subprocess.Popen:
    """A sandbox in a process of its own, as the outside service it stands in for is (in the
    bench's process it would share the interpreter with the load), once its control URL answers."""
    process = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "sandbox", "run", name,
                                "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # up to 60 s: on a busy shared machine creating the app alone has taken more than 15
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.post(f"http://127.0.0.1:{port}{control_path}", json=control, timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    sys.exit(f"the {name} sandbox did not start")


def start_sms_gateway(env: dict, latency_ms: int) -> tuple[subprocess.Popen, str]:
    """The sandbox SMS gateway (start_sandbox) on a free port, taking `latency_ms` per send:
    (its process, its URL)."""
    port = free_port()
    return start_sandbox("sms", port, env, "/__sandbox__/control", {"latency_ms": latency_ms}), f"http://127.0.0.1:{port}"


def flask(env: dict, *args) -> str:
    return subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout


def activate_site(env: dict, base: str, url: str = "https://bench.example.com") -> str:
    key = flask(env, "licenses", "create", "--email", "bench@bikri.test").strip().splitlines()[-1]
    return requests.post(f"{base}/api/v1/sites/activate", json={"license_key": key, "site_url": url}, timeout=5).json()["token"]


def free_port(port: int | None = None) -> int:
    """`port` if nothing listens on it (else exit: another service would answer our requests), or any free one."""
    with socket.socket() as probe:
        # a port a previous run just closed (TIME_WAIT) is free to listen on again
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port or 0))
        except OSError:
            sys.exit(f"port {port} is in use on 127.0.0.1; pass another --port")
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_service(port: int | None = None, **env_extra):
    """Yields (base URL, env): a throwaway database and gunicorn as shipped, both removed afterwards."""
    port = free_port(port)
    with throwaway_database() as database_url:
        env = service_env(database_url, port, **env_extra)
        with web_process(env) as base:
            yield base, env


def activated_site(base: str, env: dict, site_url: str = "https://bench.example.com") -> str:
    return activate_site(env, base, site_url)


def wrk_ms(text: str, label: str) -> float:
    """A latency percentile wrk printed, in ms; inf when it printed none (no request completed)."""
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if match is None:
        return math.inf
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, *, connections: int, seconds: int, headers: dict, script: str | None = None, warmup: int = 3) -> dict:
    """wrk's figures. Requests that timed out (wrk's 2 s) or hit a socket error are left out of
    wrk's latency distribution, which then looks fast (all of them timing out printed p50 and
    p99 "0.00us"): any of them makes p50 and p99 inf here, so no bench calls such a run OK."""
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `make system-deps`")
    command = ["wrk", "-t1", f"-c{connections}", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    if warmup:
        subprocess.run(command + ["-d", f"{warmup}s", url], capture_output=True, check=True)
    return parse_wrk(subprocess.run(command + ["-d", f"{seconds}s", url], capture_output=True, check=True, text=True).stdout)


def parse_wrk(out: str) -> dict:
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    connect, read, write, timeouts = (int(n) for n in socket.groups()) if socket else (0, 0, 0, 0)
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": wrk_ms(out, "50%"),
              "p99": wrk_ms(out, "99%"), "requests": requests_done, "errors": int(non2xx.group(1)) if non2xx else 0,
              "timeouts": timeouts, "socket_errors": connect + read + write}
    if timeouts or connect + read + write or not requests_done:
        result["p50"] = result["p99"] = math.inf
    return result


# --- a paced load generator ----------------------------------------------------------------------

def paced_load(url: str, *, rate: float, seconds: float, headers: dict, body, timeout: float = 10.0) -> dict:
    """Open-loop load, as wrk2 makes it: request i is due at start + i/rate whatever the answers
    before it do, and its latency counts from when it was due (a slow service cannot hide behind
    requests the generator held back). `body(i)` gives request i's JSON bytes. One connection
    per request (gunicorn's sync workers close after each answer). Returns the latencies (ms),
    status counts, timeouts and socket errors, and the achieved rate."""
    return asyncio.run(_paced(url, rate, seconds, headers, body, timeout))


async def _paced(url, rate, seconds, headers, body, timeout):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port, path = parts.hostname, parts.port or 80, parts.path or "/"
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    latencies, statuses, failures = [], {}, {"timeouts": 0, "socket_errors": 0}
    answers = {}

    async def one(i, due):
        payload = body(i)
        request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n{head}"
                   f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload
        writer = None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(request)
                await writer.drain()
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
            latencies.append((loop.time() - due) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            answers[i] = (status, answer)
        except TimeoutError:
            failures["timeouts"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            failures["socket_errors"] += 1
        finally:
            if writer is not None:
                writer.close()

    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    start = loop.time() + 0.05
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    latencies.sort()
    return {"latencies": latencies, "statuses": statuses, **failures, "sent": total, "elapsed": elapsed,
            "answers": answers, "rate": len(latencies) / elapsed if elapsed else 0.0}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile; inf for no values."""
    if not sorted_values:
        return math.inf
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))]


# --- worker processes and CPU --------------------------------------------------------------------

def start_worker(env: dict, lanes: list[str], threads: int, nice: int = 0) -> subprocess.Popen:
    """A `flask worker` process for `lanes`, once it consumes; `nice`: a lower CPU priority, so
    that on a shared machine the web's answers come first."""
    log = tempfile.NamedTemporaryFile("w+", prefix="bikri-bench-worker-", suffix=".log", delete=False)
    command = (["nice", "-n", str(nice)] if nice else []) + [str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "worker", "--threads", str(threads)]
    for lane in lanes:
        command += ["--lane", lane]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log.name
    deadline = time.monotonic() + 60
    while "started with" not in Path(log.name).read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit("the worker did not start:\n" + Path(log.name).read_text())
        time.sleep(0.1)
    return process


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def process_tree(pid: int) -> list[int]:
    """pid and its descendants (gunicorn's master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int, descendants: bool = True) -> float:
    """CPU (user + system) the process (and its descendants) used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in process_tree(pid) if descendants else [pid]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def database_cpu(database_url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving `database_url`'s database (same machine)."""
    name = database_url.rsplit("/", 1)[-1].encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "cmdline").read_bytes().startswith(b"postgres: ") or name not in (entry / "cmdline").read_bytes():
                continue
            found[int(entry.name)] = cpu_seconds(int(entry.name), descendants=False)
        except OSError:
            continue
    return found


def cpu_mark(pids: list[int], database_url: str | None = None) -> dict:
    """Where to count CPU from: the processes' (and their descendants') CPU seconds so far, and
    each PostgreSQL backend's serving `database_url` (see `cpu_since`)."""
    return {"pids": list(pids), "url": database_url, "service": sum(cpu_seconds(pid) for pid in pids),
            "database": database_cpu(database_url) if database_url else {}}


def cpu_since(mark: dict) -> dict:
    """CPU seconds used since `mark`: {"service": the processes, "database": the PostgreSQL
    backends}. CPU time is what the work cost whatever else the machine ran (wall time on a
    shared machine includes waiting for a core). A backend that exited in between is not
    counted (pooled connections stay)."""
    now = database_cpu(mark["url"]) if mark["url"] else {}
    return {"service": sum(cpu_seconds(pid) for pid in mark["pids"]) - mark["service"],
            "database": sum(seconds - mark["database"].get(pid, 0.0) for pid, seconds in now.items())}


def loadavg() -> str:
    """The machine's 1, 5 and 15 minute load averages, as /proc/loadavg says them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every core (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / ticks, sum(values) / ticks


def sizes_parser(**sizes) -> argparse.ArgumentParser:
    """The bench's command line, starting with its sizes: a whole-number option per keyword
    (`--name`, underscores as dashes), the keyword's value its default. Other options are added to it."""
    parser = argparse.ArgumentParser()
    for name, default in sizes.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return parser


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def wait_for(url: str, get=requests.get) -> None:
    """Until a server answers at `url` (any answer), for up to 30 s."""
    for _ in range(150):
        try:
            get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    sys.exit(f"{url} did not come up")


# --- the service on a throwaway database ----------------------------------------------------

def migrated_app(url: str, **config):
    """The service's app on a throwaway database (`url` from `throwaway_database`), migrated to
    the head; `config` adds to or overrides the benches' settings."""
    from flask_migrate import upgrade

    from backend.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                      "SECRET_KEY": "bench", "ACTIVATION_RATE_LIMIT": "1000 per minute", **config})
    with app.app_context():
        upgrade()
    return app


@contextlib.contextmanager
def bench_app(name: str, **config):
    """`migrated_app(url, **config)` on a throwaway database, its instance folder
    /tmp/bikri-bench-<name> unless BIKRI_INSTANCE_DIR names one; its connections are closed on
    leaving, before the database is dropped."""
    with throwaway_database() as url:
        os.environ.setdefault("BIKRI_INSTANCE_DIR", f"/tmp/bikri-bench-{name}")
        # backend's modules are imported once the instance folder is set, as in migrated_app
        from backend.extensions import db

        app = migrated_app(url, **config)
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def timed_reads(read, runs: int) -> tuple:
    """`read()` once to warm the caches, then `runs` times, each in a transaction of its own (rolled
    back after, inside an app context): (the last answer, the median ms, the p95 ms)."""
    from backend.extensions import db

    read()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = read()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return answer, statistics.median(times), statistics.quantiles(times, n=20)[18]


# --- a throwaway WordPress with the plugin ---------------------------------------------------

class WordPress:
    """A throwaway WordPress site (see `throwaway_wordpress`): its folder, database, port and the
    environment its PHP runs with."""

    def __init__(self, work: Path, name: str):
        self.work, self.dir, self.port = work, work / "site", free_port()
        self.db = f"bikri_bench_{name}_{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "WP_HOME": f"http://127.0.0.1:{self.port}"}
        self.env.pop("BIKRI_SERVICE_URL", None)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set_state(self, state: str) -> None:
        """`php state.php <site> <state>`: the bench's state script puts the site in that state."""
        subprocess.run(["php", str(self.work / "state.php"), str(self.dir), state], env=self.env, check=True,
                       capture_output=True)

    @contextlib.contextmanager
    def serving(self, url: str, *, get=requests.get, opcache: bool | None = None, **env):
        """PHP's built-in server on the site (WordPress's router), until it answers at `url`;
        stopped on leaving. `opcache` sets opcache.enable (the built-in server follows it,
        opcache.enable_cli is for php scripts); None leaves PHP's default."""
        flags = ["-d", f"opcache.enable={int(opcache)}"] if opcache is not None else []
        server = subprocess.Popen(["php", *flags, "-S", f"127.0.0.1:{self.port}", "-t", str(self.dir),
                                   str(ROOT / "scripts/wp/router.php")],
                                  env={**self.env, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(url, get)
            yield server
        finally:
            server.terminate()
            server.wait(timeout=10)


@contextlib.contextmanager
def throwaway_wordpress(name: str, *, install_stand_in, state_php: str):
    """A WordPress (scripts/wp/setup.sh) with the plugin from dist/bikri.zip, the bench's stand-in
    page (`install_stand_in(site_dir)`) and its state script (`state_php`, run by
    `site.set_state`); torn down on leaving."""
    zip_path = ROOT / "dist" / "bikri.zip"
    if not zip_path.exists():
        sys.exit("build the plugin first: make plugin")
    site = WordPress(Path(tempfile.mkdtemp(prefix=f"bikri-bench-{name}-")), name)
    try:
        subprocess.run(["bash", str(ROOT / "scripts/wp/setup.sh"), str(site.dir), site.db, str(zip_path)], env=site.env,
                       check=True, capture_output=True)
        install_stand_in(site.dir)
        (site.work / "state.php").write_text(state_php)
        yield site
    finally:
        subprocess.run(["bash", str(ROOT / "scripts/wp/teardown.sh"), str(site.dir), site.db], env=site.env,
                       capture_output=True)
        shutil.rmtree(site.work, ignore_errors=True)


# --- the plugin's own time on a page view, measured in PHP --------------------------------------

def plugin_page_timing(*, page_path: str, state_php: str, states: tuple, install_stand_in, check,
                       page_views: int) -> dict:
    """The time the Bikri plugin adds to one page of a throwaway WordPress (scripts/wp/setup.sh,
    the plugin from dist/bikri.zip), measured inside PHP by bench/wp-bikri-timing.php: loading the
    plugin plus every hook callback it registered. PHP's built-in server, one worker, OPcache on
    and off; each state (`php state.php <site> <state>` sets it) in turn. `check(page, state)`
    says whether the page is as the state wants (a bench that measures a page without its
    feature proves nothing).

    Answers {(opcache, state): {views, median, p99, load, hooks, load_p99, hooks_p99, cpu, cpu_p99,
    calls, page, by}}: load and hooks are the two parts of the added time (which one the tail is
    in); cpu the same time as the CPU the PHP process used (getrusage: a loaded machine's waits for
    a core left out, so runs on a busy machine still compare); `by` is each
    callback's (median, p99) in ms over the views, the slowest first (where the tail comes from).
    """
    timing_dir = Path(tempfile.mkdtemp(prefix="bikri-bench-timing-"))
    timing = timing_dir / "timing.jsonl"
    results = {}
    try:
        with throwaway_wordpress("wp", install_stand_in=install_stand_in, state_php=state_php) as site:
            shutil.copy(ROOT / "bench" / "wp-bikri-timing.php", site.dir / "wp-content" / "mu-plugins" / "bikri-timing.php")
            url = site.url(page_path)
            for opcache in (True, False):
                for state in states:
                    site.set_state(state)
                    session = requests.Session()
                    with site.serving(url, get=session.get, opcache=opcache, BIKRI_BENCH_TIMING=str(timing)):
                        for _ in range(30):
                            session.get(url, timeout=10)  # compile and warm caches
                        timing.write_text("")
                        pages = []
                        for _ in range(page_views):
                            started = time.perf_counter()
                            page = session.get(url, timeout=10)
                            pages.append((time.perf_counter() - started) * 1000)
                            assert page.status_code == 200 and check(page.text, state), page.text[:2000]
                    lines = [json.loads(line) for line in timing.read_text().splitlines() if line]
                    lines = [line for line in lines if line["uri"].startswith(page_path)]
                    assert all(line["opcache"] == opcache for line in lines), "OPcache is not as asked"
                    added = sorted((line["load_us"] + line["hooks_us"]) / 1000 for line in lines)
                    by = {}
                    for line in lines:
                        for name, us in (line.get("by") or {}).items():
                            by.setdefault(name, []).append(us / 1000)
                    results[(opcache, state)] = {
                        "views": len(added), "median": statistics.median(added), "p99": percentile(added, 0.99),
                        "load": statistics.median(line["load_us"] / 1000 for line in lines),
                        "hooks": statistics.median(line["hooks_us"] / 1000 for line in lines),
                        "load_p99": percentile(sorted(line["load_us"] / 1000 for line in lines), 0.99),
                        "hooks_p99": percentile(sorted(line["hooks_us"] / 1000 for line in lines), 0.99),
                        "cpu": percentile(sorted(line["cpu_us"] / 1000 for line in lines), 0.5),
                        "cpu_p99": percentile(sorted(line["cpu_us"] / 1000 for line in lines), 0.99),
                        "calls": lines[-1]["calls"], "page": statistics.median(pages),
                        "by": sorted(((name, statistics.median(ms), percentile(sorted(ms), 0.99)) for name, ms in by.items()),
                                     key=lambda entry: -entry[2]),
                    }
    finally:
        shutil.rmtree(timing_dir, ignore_errors=True)
    return results


def print_plugin_timing(results: dict, *, label, target_ms: float, targeted) -> None:
    """One line per (OPcache, state): median and p99 beside the target where `targeted(opcache,
    state)`; with BIKRI_BENCH_BREAKDOWN=1 the slowest callbacks too."""
    for (opcache, state), r in results.items():
        target = (f"target <= {target_ms:.0f} ms   {verdict(r['p99'] <= target_ms)}" if targeted(opcache, state)
                  else "(for comparison)")
        print(f"  {label(state)} {'OPcache on ' if opcache else 'OPcache off'}: median {r['median']:6.3f} ms  "
              f"p99 {r['p99']:6.3f} ms   {target}   [median/p99: load {r['load']:.3f}/{r['load_p99']:.3f} ms, hooks "
              f"{r['hooks']:.3f}/{r['hooks_p99']:.3f} ms in {r['calls']} calls; CPU time median {r['cpu']:.3f} ms, "
              f"p99 {r['cpu_p99']:.3f} ms; whole page {r['page']:.1f} ms]")
        if os.environ.get("BIKRI_BENCH_BREAKDOWN"):
            for name, median, p99 in r["by"][:8]:
                print(f"      {name:<60} median {median:6.3f} ms  p99 {p99:6.3f} ms")

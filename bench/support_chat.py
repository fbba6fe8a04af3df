"""Issue 24 item 5's benchmark (H2): a support chat message reaches the other side within 2 s.

gunicorn as shipped on a throwaway PostgreSQL database. --shops shops each have their Support
page open (polling GET /embed/support/messages?after=N every second, as htmx does); operators
have --open conversations open in the console (each polling /operator/support/<id>/messages
every second: Bikri has a few operators, not one per shop) and one more tab polling the
conversation list every 3 s. Every shop writes every 7-12 s and the operators answer every
shop at the same pace. A message's delivery time runs from the moment its writer starts the
POST until the other side's poll brings it (the page shows it): shop -> operators for the open
conversations, operators -> shop for every shop. Each poll is the real request a page makes.

Prints p50/p95/max of the delivery time per direction and both together, the target beside
(p95 <= 2 s), and the polls' own latency (what a second's poll costs the web process).

    .venv/bin/python bench/support_chat.py [--shops 20] [--seconds 60]
"""
import argparse
import os
import random
import re
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import flask, percentile, running_service, verdict  # noqa: E402

TARGET_P95_S = 2.0
POLL_EVERY_S = 1.0
TOKEN = re.compile(r"bench-[0-9a-f]{12}")
NEWEST = re.compile(r'id="support-msg-(\d+)"')


class Ledger:
    """When each message was sent and when the other side first showed it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent: dict[str, tuple[str, float]] = {}  # token -> (direction, monotonic send start)
        self.seen: dict[str, float] = {}
        self.poll_ms: list[float] = []
        self.errors: list[str] = []
        self.watched: set[str] = set()  # messages whose other side has the conversation open

    def send(self, direction: str, watched: bool) -> str:
        token = f"bench-{uuid.uuid4().hex[:12]}"
        with self.lock:
            self.sent[token] = (direction, time.monotonic())
            if watched:
                self.watched.add(token)
        return token

    def saw(self, html: str, reader: str, elapsed_ms: float) -> None:
        now = time.monotonic()
        with self.lock:
            self.poll_ms.append(elapsed_ms)
            for token in TOKEN.findall(html):
                direction = self.sent.get(token, ("", 0))[0]
                if direction and direction != reader and token not in self.seen:
                    self.seen[token] = now

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def poller(session: requests.Session, url: str, reader: str, ledger: Ledger, stop: threading.Event, headers=None):
    """A page's poller: every second, after the newest line it shows."""
    after = 0
    next_at = time.monotonic() + random.random() * POLL_EVERY_S
    while not stop.is_set():
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += POLL_EVERY_S
        started = time.monotonic()
        try:
            response = session.get(f"{url}{'&' if '?' in url else '?'}after={after}", headers=headers, timeout=10)
        except requests.RequestException as error:
            ledger.error(f"poll {reader}: {error}")
            continue
        elapsed_ms = (time.monotonic() - started) * 1000
        if response.status_code == 200:
            ledger.saw(response.text, reader, elapsed_ms)
            after = max([after, *map(int, NEWEST.findall(response.text))])
        elif response.status_code == 204:
            ledger.saw("", reader, elapsed_ms)
        else:
            ledger.error(f"poll {reader}: HTTP {response.status_code}")


def writer(post, direction: str, ledger: Ledger, stop: threading.Event, watched: bool = True):
    while not stop.wait(random.uniform(7, 12)):
        token = ledger.send(direction, watched)
        try:
            response = post(f"{direction} message {token}")
        except requests.RequestException as error:
            ledger.error(f"send {direction}: {error}")
            continue
        if response.status_code != 200 or "HX-Trigger" not in response.headers:
            ledger.error(f"send {direction}: HTTP {response.status_code} {response.text[:200]}")


def open_support_page(base: str, token: str, n: int) -> str:
    ticket = requests.post(f"{base}/api/v1/embed/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                           json={"wp_user_id": 1, "display_name": f"Owner {n}", "role": "administrator", "page": "support"})
    page = requests.get(ticket.json()["url"], timeout=10)
    return re.search(r'name="bikri-session" content="([^"]+)"', page.text).group(1)


def operator_session(base: str, env: dict) -> tuple[requests.Session, str]:
    flask(env, "operators", "create", "ops@bikri.test", "--password", "bench-password-long")
    session = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/operator/login").text).group(1)
    session.post(f"{base}/operator/login", data={"email": "ops@bikri.test", "password": "bench-password-long",
                                                 "csrf_token": csrf}, allow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/operator/support/").text).group(1)
    return session, csrf


def summary(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "no samples"
    return (f"n={len(values)}  p50 {percentile(values, 0.5):.2f} s  p95 {percentile(values, 0.95):.2f} s  "
            f"max {values[-1]:.2f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--open", type=int, default=5, help="conversations open in the console")
    args = parser.parse_args()
    with running_service() as (base, env):
        key = flask(env, "licenses", "create", "--email", "bench@bikri.test", "--sites", str(args.shops)).strip().splitlines()[-1]
        shops = []
        for n in range(args.shops):
            token = requests.post(f"{base}/api/v1/sites/activate", timeout=10,
                                  json={"license_key": key, "site_url": f"https://shop{n}.example.com"}).json()["token"]
            shops.append({"session": open_support_page(base, token, n)})
        operators, csrf = operator_session(base, env)
        for shop in shops:  # each shop's first message makes its conversation
            shop["headers"] = {"X-Bikri-Embed-Session": shop["session"]}
            requests.post(f"{base}/embed/support/messages", data={"body": "hello"}, headers=shop["headers"], timeout=10)
        with psycopg.connect(env["DATABASE_URL"].replace("+psycopg", "")) as conn:
            conversations = conn.execute("SELECT id, site_id FROM support_conversations ORDER BY site_id").fetchall()

        ledger, stop, threads = Ledger(), threading.Event(), []

        def start(target, *targs, **tkw):
            thread = threading.Thread(target=target, args=targs, kwargs=tkw, daemon=True)
            thread.start()
            threads.append(thread)

        for n, (shop, conversation) in enumerate(zip(shops, conversations)):
            shop_http, operator_http = requests.Session(), requests.Session()
            operator_http.cookies.update(operators.cookies)
            start(poller, shop_http, f"{base}/embed/support/messages", "shop", ledger, stop, headers=shop["headers"])
            if n < args.open:
                start(poller, operator_http, f"{base}/operator/support/{conversation[0]}/messages?shop={conversation[1]}",
                      "operator", ledger, stop)
            start(writer, lambda body, s=shop_http, h=shop["headers"]: s.post(
                f"{base}/embed/support/messages", data={"body": body}, headers=h, timeout=10), "shop", ledger, stop,
                watched=n < args.open)
            start(writer, lambda body, s=operator_http, c=conversation[0]: s.post(
                f"{base}/operator/support/{c}", data={"body": body, "csrf_token": csrf}, timeout=10), "operator", ledger, stop)
        list_tab = requests.Session()
        list_tab.cookies.update(operators.cookies)

        def list_poller():
            while not stop.wait(3):
                list_tab.get(f"{base}/operator/support/list", timeout=10)
        start(list_poller)

        load_before = os.getloadavg()[0]
        time.sleep(args.seconds)
        load_after = os.getloadavg()[0]
        stop.set()
        time.sleep(2.5)  # the last messages' polls
        for thread in threads:
            thread.join(timeout=15)

    delays = {"shop -> operators": [], "operators -> shop": []}
    missing = 0
    watched = ledger.watched
    for token, (direction, sent_at) in ledger.sent.items():
        if direction == "shop" and token not in watched:
            continue  # its conversation was not open in the console
        if token in ledger.seen:
            delays["shop -> operators" if direction == "shop" else "operators -> shop"].append(ledger.seen[token] - sent_at)
        elif time.monotonic() - sent_at > 3:
            missing += 1
    everything = sorted(delays["shop -> operators"] + delays["operators -> shop"])
    print(f"support chat: {args.shops} shops' Support pages and {args.open} console conversations polling every "
          f"{POLL_EVERY_S:g} s, "
          f"{args.seconds} s, gunicorn as shipped, PostgreSQL; machine load {load_before:.1f} -> {load_after:.1f} "
          f"on {os.cpu_count()} cores (other work shares them)")
    for name, values in delays.items():
        print(f"  {name:18s} {summary(values)}")
    p95 = percentile(everything, 0.95)
    print(f"  delivery, both ways  {summary(everything)}   target p95 <= {TARGET_P95_S:g} s  "
          f"{verdict(p95 <= TARGET_P95_S and not missing)}")
    polls = sorted(ledger.poll_ms)
    print(f"  polls: {len(polls)} answered, p50 {percentile(polls, 0.5):.1f} ms, p95 {percentile(polls, 0.95):.1f} ms; "
          f"messages never shown: {missing}; errors: {len(ledger.errors)}")
    for error in ledger.errors[:5]:
        print(f"    {error}")


if __name__ == "__main__":
    main()

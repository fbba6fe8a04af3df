"""Benchmark: one shop's campaign does not slow another shop (issue 19).

Shop A queues a 5,000-SMS campaign through the API (five POST /api/sms/batches of 1,000);
meanwhile shop B's shoppers ask for 50 checkout codes at 5 a second, and shop C's staff read
(GET /api/sms/balance, 20 a second). Everything runs as shipped, each in its own processes:
gunicorn, one `flask worker` per lane (otp, transactional, bulk), and the sandbox SMS gateway
answering every message in --latency-ms (500 ms: a real operator's usual time).

Targets: B's codes reach the gateway p99 <= 1.5 s after B's request; C's GETs p99 <= 50 ms.
Also printed: A's campaign sends per second while B and C were measured (its per-shop share of
the bulk lane, BIKRI_BULK_CONCURRENCY_PER_SHOP), and every request's errors (any is MISSED).

    .venv/bin/python bench/isolation.py [--latency-ms 500] [--campaign 5000]
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, activate_site, flask, free_port, service_env, start_sms_gateway, throwaway_database, verdict, web_process  # noqa: E402

TARGET_OTP_P99_S, TARGET_READ_P99_MS = 1.5, 50.0
SITES = {"A": "https://campaign-shop.example.com", "B": "https://checkout-shop.example.com",
         "C": "https://reading-shop.example.com"}
LANES = {"otp": 8, "transactional": 32, "bulk": 32}


def p99(values):
    values = sorted(values)
    return values[max(0, int(len(values) * 0.99) - 1)] if values else float("nan")


def start_workers(env):
    processes = []
    for lane, threads in LANES.items():
        processes.append(subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "worker", "--lane", lane, "--threads", str(threads)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return processes


def prepare(env, gateway_url):
    subprocess.run([str(ROOT / ".venv/bin/python"), "-c", f"""
from backend.app import create_app
from backend.checkout import service as checkout
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms import service as sms
app = create_app()
with app.app_context():
    sms.configure_gateway("ssl_wireless", {{"base_url": "{gateway_url}", "sid": "BIKRIDEMO", "api_token": "sandbox-api-token"}})
    sms.sms_settings().sends_per_minute = 1_000_000
    site = db.session.execute(db.select(Site).where(Site.url == "{SITES['B']}")).scalar_one()
    checkout.settings_for(site).otp_enabled = True
    db.session.commit()
"""], cwd=ROOT, env=env, check=True)
    for site in SITES.values():
        flask(env, "sms", "credit", site, "100000")


def campaign(base, token, size, errors):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    jobs = []
    for start in range(0, size, 1000):
        rows = [{"phone": f"0191{n:07d}", "content": f"Eid offer {n}: 20% off everything today."}
                for n in range(start, min(size, start + 1000))]
        answer = session.post(f"{base}/api/sms/batches", json={"messages": rows}, timeout=60)
        if answer.status_code != 202:
            errors.append(f"campaign: {answer.status_code} {answer.text[:200]}")
        else:
            jobs.append(answer.json()["job"]["id"])
    return jobs


def checkout_codes(base, token, count, per_second, sent_at, errors):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    start = time.perf_counter()
    for n in range(count):
        time.sleep(max(0.0, start + n / per_second - time.perf_counter()))
        body = {"phone": f"0171{n:07d}", "session_id": f"isolation{n:08d}", "ip": f"10.7.{n // 256}.{n % 256}"}
        sent_at[f"880171{n:07d}"] = time.time()
        answer = session.post(f"{base}/api/v1/otp/send", json=body, timeout=30)
        if answer.status_code >= 300:
            errors.append(f"otp: {answer.status_code} {answer.text[:200]}")


def reads(base, token, seconds, per_second, latencies, errors):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        time.sleep(max(0.0, start + n / per_second - time.perf_counter()))
        began = time.perf_counter()
        try:
            answer = session.get(f"{base}/api/sms/balance", timeout=10)
            if answer.status_code != 200:
                errors.append(f"read: {answer.status_code}")
        except requests.RequestException as error:
            errors.append(f"read: {error}")
        latencies.append((time.perf_counter() - began) * 1000)
        n += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--campaign", type=int, default=5000)
    parser.add_argument("--codes", type=int, default=50)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()

    with throwaway_database() as database_url:
        env = service_env(database_url, free_port(args.port), BIKRI_QUEUE_NAMESPACE=f"bikri-bench-{uuid.uuid4().hex[:8]}",
                          BIKRI_LOG_LEVEL="WARNING")
        sandbox, gateway = start_sms_gateway(env, args.latency_ms)
        workers = []
        try:
            with web_process(env) as base:
                tokens = {name: activate_site(env, base, url) for name, url in SITES.items()}
                prepare(env, gateway)
                workers = start_workers(env)
                time.sleep(3)  # the workers connect to the broker
                errors, sent_at, read_ms = [], {}, []
                began = time.time()
                jobs = campaign(base, tokens["A"], args.campaign, errors)
                campaign_answered = time.time() - began
                measured_from = time.time()
                threads = [
                    threading.Thread(target=checkout_codes, args=(base, tokens["B"], args.codes, 5, sent_at, errors)),
                    threading.Thread(target=reads, args=(base, tokens["C"], args.codes / 5, 20, read_ms, errors)),
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                deadline = time.time() + 30
                while time.time() < deadline:
                    arrivals = requests.get(f"{gateway}/__sandbox__/arrivals", timeout=30).json()
                    codes = {a["msisdn"]: a["received_at"] for a in arrivals.values() if a["msisdn"] in sent_at}
                    if len(codes) >= len(sent_at):
                        break
                    time.sleep(0.5)
                measured_until = time.time()
                campaign_sent = sum(1 for a in arrivals.values() if a["msisdn"].startswith("880191")
                                    and measured_from <= a["received_at"] <= measured_until)
                delays = [codes[msisdn] - sent_at[msisdn] for msisdn in codes]
                missing = len(sent_at) - len(codes)
        finally:
            for process in [*workers, sandbox]:
                process.terminate()
            for process in [*workers, sandbox]:
                process.wait(timeout=30)

    otp_p99, read_p99 = p99(delays), p99(read_ms)
    print(f"isolation: shop A queued a {args.campaign}-SMS campaign ({len(jobs)} batches answered in "
          f"{campaign_answered:.2f} s); gateway latency {args.latency_ms} ms; CPUs: {os.cpu_count()}")
    print(f"  B's checkout codes reach the gateway: p50 {statistics.median(delays):.3f} s, p99 {otp_p99:.3f} s "
          f"(target <= {TARGET_OTP_P99_S} s) {verdict(otp_p99 <= TARGET_OTP_P99_S and not missing)}"
          f"{f'; {missing} never arrived' if missing else ''}")
    print(f"  C's reads (GET /api/sms/balance, {len(read_ms)}): p50 {statistics.median(read_ms):.1f} ms, "
          f"p99 {read_p99:.1f} ms (target <= {TARGET_READ_P99_MS:.0f} ms) {verdict(read_p99 <= TARGET_READ_P99_MS)}")
    window = measured_until - measured_from
    print(f"  A's campaign meanwhile: {campaign_sent} SMS in {window:.1f} s ({campaign_sent / window:.1f}/s, "
          f"its share of the bulk lane)")
    print(f"  errors: {len(errors)} {verdict(not errors)}" + "".join(f"\n    {e}" for e in errors[:5]))


if __name__ == "__main__":
    main()

"""Benchmark: POST /api/sms/send through gunicorn on PostgreSQL, the sandbox gateway answering
in 20 ms (a separate process), load from wrk. Prints sends/s and p50/p99 beside the targets
(issue 4: >= 200 sends/s, p99 <= 150 ms) and checks the ledger is still exact afterwards.

    .venv/bin/python bench/sms_send.py --seconds 15 --connections 16
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, activate_site, flask, run_wrk, service_env, throwaway_database, verdict, web_process  # noqa: E402

TARGET_SENDS, TARGET_P99_MS = 200, 150.0
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"phone": "01711234567", "content": "Your order #' .. counter .. ' is confirmed. Thank you!"}')
end
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--port", type=int, default=5792)
    parser.add_argument("--gateway-port", type=int, default=5793)
    args = parser.parse_args()

    with throwaway_database() as database_url:
        env = service_env(database_url, args.port)
        gateway = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "sandbox", "run", "sms", "--port", str(args.gateway_port)],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        gateway_url = f"http://127.0.0.1:{args.gateway_port}"
        try:
            for _ in range(100):
                try:
                    requests.post(f"{gateway_url}/__sandbox__/control", json={"latency_ms": args.latency_ms}, timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            with web_process(env) as base:
                token = activate_site(env, base)
                # a wallet big enough for the run, the gateway, and no per-minute cap in the way
                subprocess.run([str(ROOT / ".venv/bin/python"), "-c", f"""
from backend.app import create_app
from backend.extensions import db
from backend.sms import service
app = create_app()
with app.app_context():
    service.configure_gateway("ssl_wireless", {{"base_url": "{gateway_url}", "sid": "BIKRIDEMO", "api_token": "sandbox-api-token"}})
    service.sms_settings().sends_per_minute = 1_000_000
    db.session.commit()
"""], cwd=ROOT, env=env, check=True)
                flask(env, "sms", "credit", "https://bench.example.com", "1000000")
                with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                    script.write(LUA)
                result = run_wrk(f"{base}/api/sms/send", connections=args.connections, seconds=args.seconds,
                                 headers={"Authorization": f"Bearer {token}"}, script=script.name)
                os.unlink(script.name)
            sent = requests.post(f"{gateway_url}/__sandbox__/control", json={}, timeout=5).json()["sent"]
        finally:
            gateway.terminate()
            gateway.wait(timeout=10)
        with psycopg.connect(database_url) as conn:
            balance = conn.execute("SELECT balance FROM wallets").fetchone()[0]
            ledger = conn.execute("SELECT sum(amount) FROM wallet_entries").fetchone()[0]
            sent_rows, debits = conn.execute("SELECT count(*), -sum(amount) FROM wallet_entries WHERE kind = 'sms'").fetchone()
            stuck = conn.execute("SELECT count(*) FROM sms_messages WHERE status = 'sending'").fetchone()[0]

    exact = balance == ledger and sent_rows == sent and stuck == 0
    print(f"bench/sms_send.py  POST /api/sms/send  gunicorn (gunicorn.conf.py)  PostgreSQL  gateway sandbox {args.latency_ms} ms  "
          f"wrk {args.connections} connections, {args.seconds}s, {os.cpu_count()} cores shared with everything")
    print(f"  sends/s    : {result['rps']:8.0f}   target >= {TARGET_SENDS}   {verdict(result['rps'] >= TARGET_SENDS)}")
    print(f"  p50        : {result['p50']:8.2f} ms")
    print(f"  p99        : {result['p99']:8.2f} ms   target <= {TARGET_P99_MS:.0f} ms   {verdict(result['p99'] <= TARGET_P99_MS)}")
    print(f"  non-2xx    : {result['errors']}")
    print(f"  ledger     : balance {Decimal(balance) / 10000} = ledger sum {Decimal(ledger) / 10000}; "
          f"{sent_rows} debits, gateway got {sent}; stuck {stuck}   {verdict(exact)}")


if __name__ == "__main__":
    main()

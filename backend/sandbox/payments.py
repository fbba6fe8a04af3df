"""What the payment sandboxes (bKash, Nagad) keep alike: their payments by id and the calls they
heard, under one lock, and the controls that read and reset them. Their wire formats are their own."""
import html
import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from .server import RoutedSandbox

# the amount's form both check: a string, at most 2 decimals
AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


class PaymentSandbox(RoutedSandbox):
    """A subclass sets `self._lock`, and `reset()` sets `self.payments` (id -> payment) and
    `self.calls` (one {"endpoint", ...} per call heard); `COUNTED` names the endpoints the
    state control counts."""

    COUNTED: tuple = ()

    def count(self, endpoint: str) -> int:
        """How many calls reached an endpoint."""
        with self._lock:
            return sum(1 for call in self.calls if call["endpoint"] == endpoint)

    def payment(self, payment_id: str) -> dict | None:
        with self._lock:
            found = self.payments.get(payment_id)
            return dict(found) if found else None

    @staticmethod
    def _control_answer(data=None) -> Response:
        return Response(json.dumps(data if data is not None else {"ok": True}), mimetype="application/json")

    def on_control_state(self, request: Request) -> Response:
        with self._lock:
            return self._control_answer({"payments": list(self.payments.values()),
                                         "calls": {name: self.count(name) for name in self.COUNTED}})

    def on_control_reset(self, request: Request) -> Response:
        self.reset()
        return self._control_answer()


def with_query(url: str, **params) -> str:
    """`url` with `params` added to its query string (the merchant's callback may have one)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


PAGE_STYLE = """
body{margin:0;font:16px/1.4 system-ui,sans-serif;background:#f4f4f6;color:#222}
main{max-width:420px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
.badge{display:inline-block;background:#fde68a;padding:2px 8px;border-radius:4px;font-size:13px}
h1{color:var(--brand);font-size:22px;margin:8px 0 16px}
dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:0 0 16px}dt{color:#666}dd{margin:0;word-break:break-all}
label{display:block;margin-bottom:4px}input{box-sizing:border-box;width:100%;font-size:18px;padding:10px;margin-bottom:12px}
.error{color:#b00020}.buttons{display:flex;gap:8px}
button{flex:1;font-size:18px;padding:12px;border:0;border-radius:6px;cursor:pointer}
.pay{background:var(--brand);color:#fff}.cancel{background:#ddd}
"""


# the payer's pages, in each brand's colour
BRAND_COLOURS = {"bKash": "#e2136e", "Nagad": "#ec1c24"}


def payer_page(brand: str, title: str, content: str, status: int = 200) -> Response:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} — {brand} sandbox</title>"
        f"<style>:root{{--brand:{BRAND_COLOURS[brand]}}}{PAGE_STYLE}</style></head>"
        f'<body><main><div class="card"><span class="badge">Sandbox: no real money moves</span>'
        f"<h1>{html.escape(title)}</h1>{content}</div></main></body></html>"
    )
    return Response(document, status=status, mimetype="text/html")


def pay_form(brand: str, details: tuple, wallet: str, error: str = "", *, pay_label: str) -> str:
    """The payer's form: the payment's details (label, value), the wallet number as prefilled or
    typed, the error if any, and the Pay and Cancel buttons."""
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in details)
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        f"<dl>{rows}</dl>{message}"
        '<form method="post">'
        f'<label for="wallet">Your {brand} account number</label>'
        f'<input id="wallet" name="wallet" inputmode="tel" autocomplete="tel" value="{html.escape(wallet)}">'
        f'<div class="buttons"><button class="pay" name="action" value="pay">{pay_label}</button>'
        '<button class="cancel" name="action" value="cancel">Cancel</button></div>'
        "</form>"
    )

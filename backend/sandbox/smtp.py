"""A stand-in SMTP server on a real loopback socket (tests and the demo; aiosmtpd is not
installed): it speaks the part of RFC 5321 smtplib uses — EHLO/HELO, AUTH PLAIN and LOGIN,
MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT — with the real reply codes, and keeps
what it received. Recipients at `refused.test` get 550 (a mailbox that does not exist),
`busy.test` 451 (try later), as real servers answer them."""
import base64
import socketserver
import threading
from email import message_from_bytes, policy

REFUSED_DOMAIN, BUSY_DOMAIN = "refused.test", "busy.test"


class Mailbox:
    """What the server received: one entry per message, with its envelope."""

    def __init__(self, username: str | None = None, password: str | None = None):
        self.username, self.password = username, password
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    def received(self) -> list[dict]:
        with self.lock:
            return list(self.messages)


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def read_line(self) -> str | None:
        line = self.rfile.readline(65_536)
        return None if not line else line.decode("utf-8", "replace").rstrip("\r\n")

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox
        self.reply("220 sandbox.bikri ESMTP ready")
        sender, recipients, authenticated = None, [], box.username is None
        while (line := self.read_line()) is not None:
            verb, _space, argument = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                sender, recipients = None, []
                if verb == "HELO":
                    self.reply("250 sandbox.bikri")
                else:
                    self.wfile.write(b"250-sandbox.bikri\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n"
                                     b"250 SIZE 10485760\r\n")
            elif verb == "AUTH":
                authenticated = self.authenticate(box, argument)
                self.reply("235 2.7.0 Authentication successful" if authenticated
                           else "535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if not authenticated:
                    self.reply("530 5.7.0 Authentication required")
                else:
                    sender, recipients = _address(argument), []
                    self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                address = _address(argument)
                if sender is None:
                    self.reply("503 5.5.1 MAIL first")
                elif address.lower().endswith("@" + REFUSED_DOMAIN):
                    self.reply(f"550 5.1.1 <{address}>: Recipient address rejected: User unknown")
                elif address.lower().endswith("@" + BUSY_DOMAIN):
                    self.reply("451 4.3.0 Mailbox temporarily unavailable, try again later")
                else:
                    recipients.append(address)
                    self.reply("250 2.1.5 OK")
            elif verb == "DATA":
                if not recipients:
                    self.reply("554 5.5.1 No valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                raw = self.read_data()
                with box.lock:
                    box.messages.append({"from": sender, "to": recipients,
                                         "message": message_from_bytes(raw, policy=policy.default)})
                sender, recipients = None, []
                self.reply("250 2.0.0 OK: queued")
            elif verb == "RSET":
                sender, recipients = None, []
                self.reply("250 2.0.0 OK")
            elif verb == "NOOP":
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")

    def read_data(self) -> bytes:
        lines = []
        while True:
            line = self.rfile.readline(1_000_000)
            if not line or line in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)  # dot-stuffing undone

    def authenticate(self, box: Mailbox, argument: str) -> bool:
        mechanism, _space, initial = argument.partition(" ")
        if mechanism.upper() == "PLAIN":
            if not initial:
                self.reply("334 ")
                initial = self.read_line() or ""
            parts = base64.b64decode(initial).split(b"\0")
            username, password = (parts[1], parts[2]) if len(parts) == 3 else (b"", b"")
        elif mechanism.upper() == "LOGIN":
            self.reply("334 " + base64.b64encode(b"Username:").decode())
            username = base64.b64decode(self.read_line() or "")
            self.reply("334 " + base64.b64encode(b"Password:").decode())
            password = base64.b64decode(self.read_line() or "")
        else:
            return False
        return (username.decode(), password.decode()) == (box.username, box.password)


def _address(argument: str) -> str:
    """The address of `FROM:<a@b>` / `TO:<a@b> SIZE=...`."""
    value = argument.split(":", 1)[-1].strip()
    return value[1:value.index(">")] if value.startswith("<") and ">" in value else value.split(" ")[0]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SandboxSmtp:
    """`with SandboxSmtp() as (url, mailbox):` an SMTP server on 127.0.0.1 at a free port; the URL
    is what BIKRI_SMTP_URL takes (no TLS: smtp+plain)."""

    def __init__(self, username: str | None = None, password: str | None = None, sender: str = "alerts@bikri.test"):
        self.mailbox = Mailbox(username, password)
        self._server = _Server(("127.0.0.1", 0), _Session)
        self._server.mailbox = self.mailbox
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        credentials = f"{username}:{password}@" if username else ""
        self.url = f"smtp+plain://{credentials}127.0.0.1:{self._server.server_address[1]}?from={sender}"

    def __enter__(self):
        self._thread.start()
        return self.url, self.mailbox

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

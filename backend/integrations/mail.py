"""Email out of the service (the shop owner's low-stock alerts; later support chat and others):
one small interface, `Mailer`, and its SMTP adapter, set up from one address (BIKRI_SMTP_URL):

    smtp://user:password@host:587?from=alerts@example.com   STARTTLS, required
    smtps://user:password@host:465?from=...                  TLS from the first byte
    smtp+plain://host:1025?from=...                          no TLS: a local relay or the sandbox

A mailer knows the wire, never a domain: callers build an `Email` and decide what a refusal means.
Sending waits on another server: only workers send, never a web request."""
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from backend.integrations.signals import asking


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None


class MailError(Exception):
    """The mail server could not be reached or answered "try later" (network, timeout, 4xx):
    worth sending again later."""


class MailRefused(MailError):
    """The mail server refused the message for good (5xx: unknown recipient, policy): sending it
    again would be refused again."""


class Mailer:
    """Sends one message. `message_id` is the caller's and stable for the message: sent again
    after a lost answer, it carries the same Message-ID header, so a mail client shows it once."""

    def send(self, email: Email, *, message_id: str) -> None:
        raise NotImplementedError


class SmtpMailer(Mailer):
    def __init__(self, host: str, port: int, *, sender: str, username: str | None = None, password: str | None = None,
                 security: str = "starttls", timeout: float = 20.0):
        if security not in ("starttls", "tls", "none"):
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.security, self.timeout = username, password, security, timeout

    def message(self, email: Email, message_id: str) -> EmailMessage:
        message = EmailMessage()  # UTF-8 throughout: Bangla subjects and bodies are encoded as such
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(idstring=message_id.replace("@", "-"), domain="bikri")
        if email.reply_to:
            message["Reply-To"] = email.reply_to
        message.set_content(email.text)
        if email.html:
            message.add_alternative(email.html, subtype="html")
        return message

    def send(self, email: Email, *, message_id: str) -> None:
        message = self.message(email, message_id)
        asking.send("the mail server")
        try:
            if self.security == "tls":
                server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            raise (MailRefused if all(code >= 500 for code in codes) else MailError)(
                f"recipient refused: {_reasons(error.recipients)}") from None
        except smtplib.SMTPResponseException as error:
            reason = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
            raise (MailRefused if error.smtp_code >= 500 else MailError)(f"{error.smtp_code} {reason}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(f"{type(error).__name__}: {error}") from None


def _reasons(recipients: dict) -> str:
    return "; ".join(f"{address}: {code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
                     for address, (code, text) in recipients.items())


SECURITY_OF_SCHEME = {"smtp": "starttls", "smtps": "tls", "smtp+plain": "none"}
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def mailer_from_url(url: str | None, *, timeout: float = 20.0) -> Mailer | None:
    """The mailer BIKRI_SMTP_URL describes; None when it is empty (no email is sent)."""
    if not url:
        return None
    parts = urlsplit(url)
    security = SECURITY_OF_SCHEME.get(parts.scheme)
    if security is None:
        raise ValueError(f"BIKRI_SMTP_URL: scheme smtp, smtps or smtp+plain expected, got {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("BIKRI_SMTP_URL: no host")
    sender = (parse_qs(parts.query).get("from") or [""])[0]
    username = unquote(parts.username) if parts.username else None
    if not sender:
        sender = username if username and "@" in username else f"no-reply@{parts.hostname}"
    name = (parse_qs(parts.query).get("name") or ["Bikri"])[0]
    return SmtpMailer(parts.hostname, parts.port or DEFAULT_PORTS[security], sender=formataddr((name, sender)),
                      username=username, password=unquote(parts.password) if parts.password else None,
                      security=security, timeout=timeout)

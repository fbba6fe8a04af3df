"""The mail adapter against the sandbox SMTP server on a real socket: the message as sent (UTF-8
Bangla intact, the stable Message-ID), authentication, and the two kinds of failure."""
import socket

import pytest

from backend.integrations.mail import Email, MailError, MailRefused, mailer_from_url
from backend.sandbox.smtp import SandboxSmtp


def test_sends_a_bangla_message_with_a_stable_message_id():
    with SandboxSmtp(username="bikri", password="s3cret") as (url, mailbox):
        mailer = mailer_from_url(url, timeout=5)
        email = Email(to="owner@shop.test", subject="স্টক কম: জামদানি শাড়ি", text="জামদানি শাড়ি: ২টি বাকি\n.\nশেষ")
        mailer.send(email, message_id="low-stock-1-7")
        mailer.send(email, message_id="low-stock-1-7")  # sent again after a lost answer
        first, again = mailbox.received()
    assert first["to"] == ["owner@shop.test"] and first["from"] == "alerts@bikri.test"
    message = first["message"]
    assert message["Subject"] == "স্টক কম: জামদানি শাড়ি"
    assert message.get_content().replace("\r\n", "\n") == "জামদানি শাড়ি: ২টি বাকি\n.\nশেষ\n"  # a lone dot survives
    assert message["Message-ID"].startswith("<") and "low-stock-1-7" in message["Message-ID"]
    assert str(message["From"]) == "Bikri <alerts@bikri.test>"
    assert "low-stock-1-7" in again["message"]["Message-ID"]


def test_wrong_password_and_unreachable_server_can_be_tried_again_a_refused_recipient_not():
    email = Email(to="owner@shop.test", subject="s", text="t")
    with SandboxSmtp(username="bikri", password="s3cret") as (url, mailbox):
        with pytest.raises(MailRefused):  # 535: the credentials are wrong until someone fixes them
            mailer_from_url(url.replace("s3cret", "wrong")).send(email, message_id="a")
        mailer = mailer_from_url(url)
        with pytest.raises(MailRefused, match="550"):
            mailer.send(Email(to="nobody@refused.test", subject="s", text="t"), message_id="b")
        with pytest.raises(MailError) as busy:
            mailer.send(Email(to="owner@busy.test", subject="s", text="t"), message_id="c")
        assert not isinstance(busy.value, MailRefused)
        assert mailbox.received() == []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailError):
        mailer_from_url(f"smtp+plain://127.0.0.1:{port}?from=a@b.test", timeout=2).send(email, message_id="d")


def test_the_address_says_how_to_connect():
    assert mailer_from_url("") is None
    mailer = mailer_from_url("smtp://alerts%40shop.test:p%40ss@mail.example.com?name=Shop")
    assert (mailer.host, mailer.port, mailer.security, mailer.username, mailer.password) == \
        ("mail.example.com", 587, "starttls", "alerts@shop.test", "p@ss")
    assert mailer.sender == "Shop <alerts@shop.test>"
    assert (mailer_from_url("smtps://mail.example.com").port, mailer_from_url("smtps://mail.example.com").security) == (465, "tls")
    with pytest.raises(ValueError, match="scheme"):
        mailer_from_url("http://mail.example.com")

"""The one way the service opens a connection to an address a shop supplied (its site URL).

A site URL is whatever the caller typed at activation. Unguarded, `http://169.254.169.254/...`
or `http://127.0.0.1:5432` make the service fetch its own network from web and job workers
and report what answered (server-side request forgery). So:

- activation refuses a URL whose host is, or resolves to, a non-public address
  (`check_site_url`): loopback, private, link-local, shared, reserved, multicast, and the
  same hidden in other spellings (`2130706433`, `0177.0.0.1`, `::ffff:127.0.0.1`, NAT64 and
  6to4 forms);
- every connection to a shop (`ShopSession`) resolves the host, checks every address it got
  and connects to a checked address itself. Check and connect use the same answer, so a DNS
  record that changes in between (rebinding) cannot move the connection. Only the socket's
  target is replaced: the Host header, TLS SNI and the certificate check still use the host
  name;
- redirects are never followed (a public shop could send us on to an internal address), and
  no proxy, .netrc or CA bundle is taken from the environment.

`BIKRI_ALLOW_PRIVATE_SHOP_HOSTS=1` (config ALLOW_PRIVATE_SHOP_HOSTS) lets loopback and
private addresses through: for the demo and the tests, whose stores run on 127.0.0.1. It is
off unless set.
"""
import ipaddress
import os
import socket
from socket import timeout as SocketTimeout
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

from backend.integrations.signals import asking

# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052 / 8215)
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class ShopAddressRefused(Exception):
    """The shop's host is, or resolved to, an address that is not on the public internet."""

    def __init__(self, host: str):
        super().__init__(f"{host} is not a public internet address")
        self.host = host


def private_hosts_allowed() -> bool:
    """Whether loopback and private shop addresses are allowed (demo and tests only)."""
    if has_app_context():
        return bool(current_app.config.get("ALLOW_PRIVATE_SHOP_HOSTS"))
    return os.environ.get("BIKRI_ALLOW_PRIVATE_SHOP_HOSTS", "") == "1"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where it stands for one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True for an address on the public internet; False for anything a shop must not be."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    # is_global alone lets multicast through; the rest are belt and braces across Python versions
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The host's addresses, each checked; ShopAddressRefused if any is not public.

    Every address is checked, not only the first: a name that answers with a public and a
    private address would otherwise reach the private one when the public one is down.
    socket.gaierror when the name does not resolve.
    """
    host = host.strip("[]")
    infos = socket.getaddrinfo(host, port, connection.allowed_gai_family(), socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private and not all(is_public_address(a) for a in addresses):
        raise ShopAddressRefused(host)
    return addresses


def check_site_url(url: str, *, allow_private: bool) -> None:
    """At activation: ShopAddressRefused when the URL's host is or resolves to a non-public address.

    A name that does not resolve now is let through: it cannot be fetched either, and every
    connection checks again.
    """
    if allow_private:
        return
    parts = urlsplit(url)
    try:
        resolve(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), allow_private=False)
    except (OSError, UnicodeError):
        pass


class _CheckedConnection:
    """urllib3's connection, but the socket goes only to an address `resolve` checked."""

    allow_private = False

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve(self._dns_host, self.port, allow_private=self.allow_private)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        failure = None
        for address in addresses:
            try:
                # an address, not a name: create_connection does no further lookup
                return connection.create_connection((address, self.port), self.timeout,
                                                    source_address=self.source_address,
                                                    socket_options=self.socket_options)
            except SocketTimeout as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
            except OSError as error:
                failure = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {failure}")


def _pools(allow_private: bool) -> dict:
    http = type("ShopHTTPConnection", (_CheckedConnection, HTTPConnection), {"allow_private": allow_private})
    https = type("ShopHTTPSConnection", (_CheckedConnection, HTTPSConnection), {"allow_private": allow_private})
    return {"http": type("ShopHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("ShopHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https})}


_POOLS = {False: _pools(False), True: _pools(True)}


class ShopAdapter(HTTPAdapter):
    """requests' adapter with checked connections and no proxies."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        super().__init__(max_retries=0)  # the clients retry themselves, with their own rules

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS[self.allow_private]

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # through a proxy the proxy would connect, to an address nobody checked
        raise ShopAddressRefused("a proxy")


class ShopSession(requests.Session):
    """A requests session for talking to shops: checked addresses, no redirects, nothing from the environment."""

    def __init__(self, allow_private: bool | None = None):
        super().__init__()
        self.trust_env = False
        adapter = ShopAdapter(private_hosts_allowed() if allow_private is None else allow_private)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs):
        # whatever the caller asked (the `woocommerce` client asks for nothing: requests then follows)
        kwargs["allow_redirects"] = False
        asking.send("the shop")
        return super().request(method, url, *args, **kwargs)

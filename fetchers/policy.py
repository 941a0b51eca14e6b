"""Where the crawler may go: http(s) only, allowed host families, no private addresses.

The families are the hosts of the sites wic-etl has profiles for (each with its
subdomains), handed down by the flow from the site profiles. A host the user names
(``--allow-host``) is allowed too, exactly as named; ``*.example.org`` names
example.org and all its subdomains. Naming a host is also the explicit permission to
reach it on a loopback or private address (the tests name ``127.0.0.1``). Every other
host, and every host found on a private, loopback, link-local or otherwise non-public
address, is refused.

Addresses are checked twice: the name is resolved before connecting (a clear early
refusal, and whether the host is public decides its pacing), and the address each
connection actually reached is checked again (``check_peer``), because a name can
resolve to a public address for the first check and to 127.0.0.1 for the connection
(DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import SplitResult

from core.errors import FetchError
from core.urls import split_http


def _in_family(host: str, families: tuple[str, ...]) -> bool:
    return any(host == f or host.endswith("." + f) for f in families)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.split("%")[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever is_global says
    return address


@dataclass
class HostPolicy:
    """Which hosts and addresses a crawl may reach."""

    named: tuple[str, ...] = ()  # hosts the user allowed exactly, lower-case
    named_families: tuple[str, ...] = ()  # from "*.example.org": example.org and subdomains
    families: tuple[str, ...] = ()  # host families of the known sites, with subdomains
    # host -> whether it resolved to public addresses only; filled as hosts are met
    _public: dict[str, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def allowing(
        cls, hosts: tuple[str, ...] | list[str], families: tuple[str, ...] = ()
    ) -> HostPolicy:
        """The policy for the sites' host ``families`` plus the hosts a user named."""
        cleaned = [h.strip().lower().strip("[]").rstrip(".") for h in hosts if h.strip()]
        return cls(
            named=tuple(h for h in cleaned if not h.startswith("*.")),
            named_families=tuple(h[2:] for h in cleaned if h.startswith("*.")),
            families=families,
        )

    def is_named(self, host: str) -> bool:
        """Whether the user named ``host``: only such hosts may be on private addresses."""
        host = host.lower()
        return host in self.named or _in_family(host, self.named_families)

    def allows_host(self, host: str) -> bool:
        """Whether a host may be crawled at all (its address is checked later)."""
        return _in_family(host.lower(), self.families) or self.is_named(host)

    def check_url(self, url: str) -> SplitResult:
        """The parts of ``url``, or FetchError saying why the crawler will not go there."""
        parts = split_http(url)
        if parts is None:
            raise FetchError(
                f"{url!r} is not an http:// or https:// address; only web pages can be fetched"
            )
        host = parts.hostname or ""
        if not self.allows_host(host):
            raise FetchError(
                f"{url}: host {host} is not allowed (allowed: {', '.join(self.families)} and "
                f"their subdomains); add --allow-host {host} if it should be crawled"
            )
        return parts

    async def check_address(self, host: str, port: int) -> bool:
        """Refuse a host that resolves to a non-public address unless the user named it.

        Returns whether the host is public (a named private host is fetched without
        the public-site rate limit). Made once per host and run; ``check_peer``
        catches an answer that changes afterwards.
        """
        host = host.lower()
        if host in self._public:
            return self._public[host]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise FetchError(
                f"cannot resolve host {host} ({exc}); check the address and the network",
                retryable=True,
            ) from exc
        addresses = {_address(str(info[4][0])) for info in infos}
        public = all(address.is_global for address in addresses)
        if not public and not self.is_named(host):
            private = ", ".join(sorted(str(a) for a in addresses if not a.is_global))
            raise FetchError(
                f"host {host} resolves to a non-public address ({private}); the crawler "
                f"never goes there unless told to: add --allow-host {host}"
            )
        self._public[host] = public
        return public

    def check_peer(self, host: str, peer: str) -> None:
        """Refuse a connection to ``host`` that reached a non-public address it may not use."""
        address = _address(peer)
        if not address.is_global and not self.is_named(host):
            raise FetchError(
                f"host {host} was reached at {address}, a non-public address (its DNS "
                "answer changed after the check: DNS rebinding?); refused. If the host "
                f"really is on your own network, add --allow-host {host}"
            )

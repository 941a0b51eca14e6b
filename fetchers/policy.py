"""Where the crawler may go: http(s) only, allowed host families, no private addresses.

The default families are the two sites this project is for. A host the user names
(``--allow-host``) is allowed too, and naming it is also the explicit permission to
reach it on a loopback or private address (the tests name ``127.0.0.1``). Every
other host, and every host that resolves to a private, loopback, link-local or
otherwise non-public address, is refused before a connection is made.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import SplitResult

from extractors.urls import split_http
from wic_etl.errors import FetchError

DEFAULT_HOST_FAMILIES = ("chinadaily.com.cn", "wicwuzhen.cn")


def _in_family(host: str, families: tuple[str, ...]) -> bool:
    return any(host == f or host.endswith("." + f) for f in families)


@dataclass
class HostPolicy:
    named: tuple[str, ...] = ()  # hosts the user allowed, lower-case, as given
    families: tuple[str, ...] = DEFAULT_HOST_FAMILIES
    # host -> whether it resolved to public addresses only; filled as hosts are met
    _public: dict[str, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def allowing(cls, hosts: tuple[str, ...] | list[str]) -> HostPolicy:
        return cls(named=tuple(h.strip().lower().strip("[]") for h in hosts if h.strip()))

    def allows_host(self, host: str) -> bool:
        host = host.lower()
        return _in_family(host, self.families) or _in_family(host, self.named)

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
        the public-site rate limit). The check is made once per host and run; a DNS
        answer that changes between this check and the connection is not caught.
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
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
        public = all(address.is_global for address in addresses)
        if not public and not _in_family(host, self.named):
            private = ", ".join(sorted(str(a) for a in addresses if not a.is_global))
            raise FetchError(
                f"host {host} resolves to a non-public address ({private}); the crawler "
                f"never goes there unless told to: add --allow-host {host}"
            )
        self._public[host] = public
        return public

"""Connections that are checked where they really went, not where DNS said they would.

The policy's address check resolves a name before the request; the connection then
resolves it again, and a hostile DNS server can answer a public address the first
time and 127.0.0.1 the second (DNS rebinding). This network backend checks the peer
address of every new connection, after it is made and before a byte is sent, for
every request and every redirect hop. Kept-alive connections are reused only for
the same scheme, host and port, so each one is checked once, when it is opened.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore
import httpx

from core.errors import FetchError
from fetchers.policy import HostPolicy


class PeerCheckingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, checking the address each connection reached."""

    def __init__(self, policy: HostPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()  # the crawl runs on asyncio

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect, then refuse a peer address the policy does not allow."""
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        try:
            self._policy.check_peer(host, _peer(stream, host))
        except BaseException:
            await stream.aclose()
            raise
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # The crawler never sets uds; a path is no address the policy can check.
        """Unix sockets are never a crawl's business: refused."""
        raise FetchError(f"refused to connect to the Unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        """As the wrapped backend sleeps."""
        await self._inner.sleep(seconds)


def _peer(stream: httpcore.AsyncNetworkStream, host: str) -> str:
    address = stream.get_extra_info("server_addr")
    if address is None and (sock := stream.get_extra_info("socket")) is not None:
        address = sock.getpeername()
    if not address:
        # Fail closed: a connection whose far end is unknown cannot be shown to be allowed.
        raise FetchError(f"host {host}: the address connected to cannot be told; refused")
    return str(address[0])


def guarded_transport(policy: HostPolicy, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (HTTP/2, TLS, error mapping) on the peer-checking backend."""
    transport = httpx.AsyncHTTPTransport(http2=True, limits=limits, trust_env=False)
    pool = getattr(transport, "_pool", None)
    # httpx has no public way to pass a network backend; fail loudly (not open) if the
    # attribute ever moves, rather than crawl without the check.
    if not isinstance(pool, httpcore.AsyncConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError(
            "this httpx/httpcore version has no AsyncConnectionPool._network_backend; "
            "the connection check cannot be installed: pin httpx/httpcore as in requirements.lock"
        )
    pool._network_backend = PeerCheckingBackend(policy)
    return transport

"""A real HTTP server on 127.0.0.1 that serves the fixture site and its faults.

The pages are those of ``fixtures/site/site.json``; ``/faults/...`` are made here,
each misbehaving one way. Every request is logged (path, headers, time) so tests
can check what the crawler asked for, and what it never asked for.

Article images: the pages (written and real ones) show photos on China Daily's
image hosts (``img2.chinadaily.com.cn`` ...). The server rewrites the host of each
``<img src>`` on those hosts to itself, and serves the photos' paths from
``fixtures/site/images/`` (real photos, see ``fixtures/site/README.md``): that is the
only change made to a page, so a crawl fetches its images from 127.0.0.1, never
from the live site. ``image_host=False`` serves the pages unchanged.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SITE = FIXTURES / "site"
LAST_MODIFIED = "Mon, 08 Dec 2025 01:00:00 GMT"
BOMB_SIZE = 20 * 1024 * 1024  # decompressed; about 20 KB on the wire
# The src of an <img> on one of China Daily's image hosts (img.*, img2.*, img3.*).
IMAGE_HOST = re.compile(
    rb"""(<img\b[^>]*?\bsrc=["'])(?:https?:)?//img\d*\.chinadaily\.com\.cn/""", re.I
)


def images_here(body: bytes, base: str) -> bytes:
    """``body`` with each <img src> on China Daily's image hosts pointing at ``base``."""
    return IMAGE_HOST.sub(lambda m: m.group(1) + base.encode() + b"/", body)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a crawler that gives up on a slow page closes the socket: expected here


class FixtureSite:
    def __init__(
        self,
        slow_seconds: float = 3.0,
        extra: dict[str, tuple[bytes, str]] | None = None,
        drip_seconds: float = 0.6,
        image_host: bool = True,
    ) -> None:
        self.pages = json.loads((SITE / "site.json").read_text("utf-8"))["pages"]
        # A test's own documents (body, content type), served as they are: they win
        # over the fixture site's pages, so a test can swap in its robots.txt.
        self.extra = dict(extra or {})
        self.redirects: dict[str, str] = {}  # path -> Location of a 302, set by a test
        self.requests: list[Request] = []
        self.slow_seconds = slow_seconds
        self.image_host = image_host  # img src on China Daily's image hosts: served here
        self.drip_seconds = drip_seconds
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}
        self._bomb = gzip.compress(b"\0" * BOMB_SIZE, compresslevel=9)
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FixtureSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def requested(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def hit(self, path: str) -> int:
        with self._lock:
            self._hits[path] = self._hits.get(path, 0) + 1
            return self._hits[path]

    def body_of(self, path: str) -> tuple[bytes, str]:
        """What the site serves at ``path``: its bytes and content type."""
        entry = self.pages[path]
        if "template" in entry:
            text = (SITE / entry["template"]).read_text("utf-8").replace("{{SITE}}", self.base)
            return text.encode("utf-8"), entry.get("type", "text/html; charset=utf-8")
        content_type = entry.get("type", "text/html")
        body = (FIXTURES / entry["file"]).read_bytes()
        if self.image_host and content_type.startswith("text/html"):
            body = images_here(body, self.base)
        return body, content_type

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet tests
                pass

            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(Request(self.path, dict(self.headers), time.monotonic()))
                fault = getattr(self, "fault_" + self.path.removeprefix("/faults/")
                                .split(".")[0].replace("-", "_"), None)  # fmt: skip
                if self.path in site.redirects:
                    self.send(302, b"", {"Location": site.redirects[self.path]})
                elif self.path in site.extra:
                    body, content_type = site.extra[self.path]
                    if site.image_host and content_type.startswith("text/html"):
                        body = images_here(body, site.base)
                    self.send(200, body, content_type=content_type)
                elif self.path.startswith("/faults/") and fault is not None:
                    fault()
                elif self.path in site.pages:
                    self.page(*site.body_of(self.path))
                else:
                    self.send(404, b"<html><body><h1>404 Not Found</h1></body></html>")

            def send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                     content_type: str = "text/html; charset=utf-8") -> None:  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if "Content-Length" not in (headers or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def page(self, body: bytes, content_type: str) -> None:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
                if self.headers.get("If-None-Match") == etag or (
                    self.headers.get("If-Modified-Since") == LAST_MODIFIED
                ):
                    self.send_response(304)
                    for name, value in validators.items():
                        self.send_header(name, value)
                    self.end_headers()
                    return
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    validators["Content-Encoding"] = "gzip"
                self.send(200, body, validators, content_type)

            def saved(self, name: str) -> bytes:
                body = (FIXTURES / "saved" / name).read_bytes()
                return images_here(body, site.base) if site.image_host else body

            def fault_flaky(self) -> None:  # 500 once, then the page
                if site.hit(self.path) == 1:
                    self.send(500, b"<html><body>Internal Server Error</body></html>")
                else:
                    self.send(200, self.saved("html/cd_legacy_high_speed.html"))

            def fault_busy(self) -> None:  # 429 with Retry-After once, then the page
                if site.hit(self.path) == 1:
                    self.send(429, b"slow down", {"Retry-After": "1"}, "text/plain")
                else:
                    self.send(200, self.saved("html/wic_en_youth_forum.html"))

            def fault_slow(self) -> None:  # answers after the crawler's read timeout
                time.sleep(site.slow_seconds)
                self.send(200, self.saved("html/cd_panda_cubs.html"))

            def fault_drip(self) -> None:  # each byte in time for the read timeout, for ever
                body = self.saved("html/cd_panda_cubs.html")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for byte in body:  # ends when the crawler hangs up (the write then fails)
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(site.drip_seconds)

            def fault_bad_location(self) -> None:  # no "//": httpx cannot parse it as a URL
                self.send(302, b"", {"Location": "http:169.254.169.254/"})

            def fault_truncated(self) -> None:  # promises more bytes than it sends
                body = (FIXTURES / "saved/html/cd_battery_recycling.html").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True

            def fault_bomb(self) -> None:  # 20 KB of gzip that inflates to 20 MB
                self.send(200, site._bomb, {"Content-Encoding": "gzip"})

            def fault_gzip_tail(self) -> None:  # a small gzip page, then 12 MB past its end
                body = gzip.compress(self.saved("html/cd_panda_cubs.html"))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Encoding", "gzip")
                self.end_headers()
                self.wfile.write(body)
                for _ in range(12):
                    self.wfile.write(b"\x00" * (1024 * 1024))
                self.close_connection = True

            def fault_loop_a(self) -> None:
                self.send(302, b"", {"Location": "/faults/loop-b.html"})

            def fault_loop_b(self) -> None:
                self.send(302, b"", {"Location": "/faults/loop-a.html"})

            def fault_away(self) -> None:  # to a host the crawler is not allowed to visit
                port = site.server.server_address[1]
                self.send(302, b"", {"Location": f"http://127.0.0.2:{port}/a/elsewhere.html"})

            def fault_moved(self) -> None:  # an allowed redirect, to a page of the site
                self.send(301, b"", {"Location": "/a/202308/14/WS64d98a23a31035260b81b8c2.html"})

            def fault_wrong_charset(self) -> None:  # a gb2312 page labelled Latin-1
                body = self.saved("html/wic_zh_gb2312_youth_camp.html")
                self.send(200, body, content_type="text/html; charset=iso-8859-1")

            def fault_deflate(self) -> None:  # "deflate" sent raw, without its zlib header
                squeeze = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
                raw = self.saved("html/cd_panda_cubs.html")
                body = squeeze.compress(raw) + squeeze.flush()
                self.send(200, body, {"Content-Encoding": "deflate"})

            def fault_chunked(self) -> None:  # sent in chunks, without a Content-Length
                body = self.saved("html/cd_panda_cubs.html")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(body), 4096):
                    piece = body[start : start + 4096]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

        return Handler

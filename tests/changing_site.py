"""A real HTTP server on 127.0.0.1 whose pages a test changes between requests.

Each address serves what the test last set: a page (with an ``ETag`` and a
``Last-Modified`` of its own, answering ``304`` to a conditional request for the
same bytes), a 404 or 410, a redirect, or a 5xx. Every request is logged with
its validators and the status it got, so a test can count the 304s the server
really sent.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.site_server import SITE, images_here

PHOTO = SITE / "images" / "hopper.jpg"  # what every image of a page served here shows

HOME = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>China Daily</title></head>
<body><div class="topNav"><a href="/">Home</a> <a href="/china/">China</a></div>
<h2>Top news</h2><ul><li><a href="/a/202512/20/WS6945ede4a310d6866eb2f9ad.html">News</a></li>
</ul></body></html>"""


@dataclass
class Resource:
    """What one address answers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    last_modified: str = ""
    etag: str = ""


@dataclass(frozen=True)
class Hit:
    """One request as the server saw and answered it."""

    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class ChangingSite:
    """The server: ``serve``, ``gone``, ``redirect`` and ``fail`` set what a path answers."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        # Last-Modified dates move one second per change, whatever the clock does: a
        # page changed twice within a second must still be newer.
        self._clock = int(time.time()) - 86400
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.serve("/", HOME)

    def __enter__(self) -> ChangingSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def _stamp(self) -> str:
        self._clock += 1
        return email.utils.formatdate(self._clock, usegmt=True)

    def serve(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        """``path`` answers 200 with ``body`` (a new Last-Modified if the bytes changed).

        A page's images on China Daily's image hosts are served from here, as by the
        fixture site (``tests/site_server.py``): a crawl never reaches for the live host.
        """
        if content_type.startswith("text/html"):
            body = images_here(body, self.base)
            for image in re.findall(rb'<img\b[^>]*?\bsrc="' + re.escape(self.base.encode())
                                    + rb'(/[^"]+)"', body):  # fmt: skip
                if image.decode() not in self.resources:
                    self.serve(image.decode(), PHOTO.read_bytes(), "image/jpeg")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        with self._lock:
            old = self.resources.get(path)
            same = old is not None and old.status == 200 and old.etag == etag
            stamp = old.last_modified if same and old else self._stamp()
            self.resources[path] = Resource(200, body, content_type, None, stamp, etag)

    def gone(self, path: str, status: int = 404) -> None:
        page = f"<html><body><h1>{status}</h1><p>Not Found</p></body></html>".encode()
        with self._lock:
            self.resources[path] = Resource(status, page)

    def redirect(self, path: str, location: str, status: int = 301) -> None:
        with self._lock:
            self.resources[path] = Resource(status, b"", location=location)

    def fail(self, path: str, status: int = 503) -> None:
        with self._lock:
            self.resources[path] = Resource(
                status, b"<html><body>Service Unavailable</body></html>"
            )

    def requests_to(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]

    def answered(self, status: int) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.status == status]

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with site._lock:
                    resource = site.resources.get(self.path)
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                status = self._answer(resource, inm, ims)
                with site._lock:
                    site.hits.append(Hit(self.path, inm, ims, status))

            def _answer(self, resource: Resource | None, inm: str | None, ims: str | None) -> int:
                if resource is None:
                    self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")
                    return 404
                if resource.location is not None:
                    self._send(resource.status, b"", {"Location": resource.location})
                    return resource.status
                if resource.status != 200:
                    self._send(resource.status, resource.body)
                    return resource.status
                validators = {"ETag": resource.etag, "Last-Modified": resource.last_modified}
                # RFC 9110: If-None-Match decides when given; If-Modified-Since otherwise.
                if inm is not None:
                    fresh = inm == resource.etag
                else:
                    fresh = ims is not None and _not_after(resource.last_modified, ims)
                if fresh:
                    self.send_response(304)
                    for name, value in validators.items():
                        self.send_header(name, value)
                    self.end_headers()
                    return 304
                self._send(200, resource.body, validators, resource.content_type)
                return 200

            def _send(
                self,
                status: int,
                body: bytes,
                headers: dict[str, str] | None = None,
                content_type: str = "text/html; charset=utf-8",
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _not_after(last_modified: str, since: str) -> bool:
    try:
        modified = email.utils.parsedate_to_datetime(last_modified)
        asked = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return modified <= asked

"""Headless Chromium driven over the DevTools protocol: pages measured as laid out.

``--dump-dom`` gives the markup; what a reader sees also depends on layout (a word
broken across lines, a link wider than a phone's screen, a bar's height in a chart).
``Browser`` opens a page at a given window size and evaluates JavaScript in it, with
the same isolation as ``test_datasette_browser.chromium`` (no host but 127.0.0.1).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
# 127.0.0.1 is never proxied: the DevTools endpoint is local.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Browser:
    """One headless Chromium with one tab, ``width`` x ``height`` CSS pixels.

    ``mobile``: the tab emulates a phone (the page's viewport meta tag applies).
    """

    def __init__(self, profile: Path, width: int = 1280, height: int = 900, mobile: bool = False):
        if not Path(CHROMIUM).exists():
            pytest.fail("chromium is missing: `make setup` installs it (Debian package chromium)")
        self._size = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        self._proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._ids = 0
        self._ws: ClientConnection | None = None

    def __enter__(self) -> Browser:
        assert self._proc.stderr is not None
        deadline = time.monotonic() + 60
        browser_ws = None
        while browser_ws is None:
            line = self._proc.stderr.readline()
            if not line and (self._proc.poll() is not None or time.monotonic() > deadline):
                pytest.fail("chromium did not open its DevTools endpoint")
            if match := _LISTENING.search(line):
                browser_ws = match.group(1)
        port = browser_ws.split(":")[2].split("/")[0]
        with _LOCAL.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page")
        self._ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=20)
        self._call("Page.enable")
        self._call("Emulation.setDeviceMetricsOverride", **self._size)
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: TracebackType | None):
        if self._ws is not None:
            self._ws.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        self._ids += 1
        self._ws.send(json.dumps({"id": self._ids, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=60))
            if message.get("id") == self._ids:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def open(self, url: str) -> None:
        """Go to ``url`` and wait until it has loaded."""
        # A mark on the page before: gone once the new page is the one answering.
        self.evaluate("window.wicOldPage = true")
        self._call("Page.navigate", url=url)
        self.wait_for("true")

    def wait_for(self, condition: str) -> None:
        """Wait until a page other than the one marked by ``open`` has loaded and the
        JavaScript ``condition`` holds in it (a form sent, a link followed)."""
        loaded = (
            "window.wicOldPage === undefined && document.readyState === 'complete' "
            f"&& ({condition})"
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.evaluate(loaded):
                    return
            except AssertionError:
                pass  # the page went away while asked: a navigation under way
            time.sleep(0.1)
        pytest.fail(f"the page did not get to {condition} within a minute")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        result = self._call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        """The page as laid out, the whole of it, as a PNG."""
        height = self.evaluate("document.documentElement.scrollHeight")
        shot = self._call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": self._size["width"], "height": height, "scale": 1},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

"""Headless Chromium driven through chromedriver's WebDriver HTTP API (no Selenium needed).

Flags from toolchain-notes.md; a fresh --user-data-dir per browser.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .moto import free_port

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_binary() -> str | None:
    """$CHROMIUM, else Debian's chromium (or Chrome on CI runners) on this machine."""
    candidates = [
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("google-chrome"),
    ]
    return next((c for c in candidates if c and Path(c).exists()), None)


def chromedriver_binary() -> str | None:
    candidates = [os.environ.get("CHROMEDRIVER"), "/usr/bin/chromedriver", shutil.which("chromedriver")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def ensure_chromium() -> str | None:
    """None when Chromium and chromedriver are present (installing the Debian packages when root), else why not."""
    if chromium_binary() and chromedriver_binary():
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "chromium/chromium-driver are missing and this user cannot apt-get install them"
    result = subprocess.run(
        ["apt-get", "install", "-y", "chromium", "chromium-driver"],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    if result.returncode != 0 or not (chromium_binary() and chromedriver_binary()):
        return f"apt-get install chromium chromium-driver failed: {result.stderr.strip()[-500:]}"
    return None


class WebDriverError(RuntimeError):
    """chromedriver refused a command; the message is its error and the first part of its explanation."""


class Browser:
    """One chromedriver process and one headless session."""

    def __init__(self, profile_dir: Path, width: int = 1600, height: int = 1000) -> None:
        self.width, self.height = width, height
        self._port = free_port()
        self._base = f"http://127.0.0.1:{self._port}"
        self._profile = profile_dir
        self._driver: subprocess.Popen | None = None
        self._session: str | None = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self._base}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}").get("value", {})
            raise WebDriverError(
                f"{method} {path}: {detail.get('error', error.code)}: {str(detail.get('message', ''))[:300]}"
            ) from None

    def start(self) -> Browser:
        self._driver = subprocess.Popen(
            [chromedriver_binary(), f"--port={self._port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("chromedriver did not become ready within 30 s")
            time.sleep(0.2)
        options = {
            "binary": chromium_binary(),
            "args": [*FLAGS, f"--user-data-dir={self._profile}", f"--window-size={self.width},{self.height}"],
        }
        session = self._call(
            "POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}}
        )
        self._session = session["sessionId"]
        return self

    def open(self, url: str) -> None:
        self._call("POST", f"/session/{self._session}/url", {"url": url})

    def texts(self, xpath: str) -> list[str]:
        """Text of every element matching `xpath`, read in one script call (React re-renders in between)."""
        script = (
            "const found = document.evaluate(arguments[0], document, null,"
            " XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);"
            "const texts = []; for (let i = 0; i < found.snapshotLength; i++)"
            " texts.push(found.snapshotItem(i).textContent); return texts;"
        )
        return self._call(
            "POST", f"/session/{self._session}/execute/sync", {"script": script, "args": [xpath]}
        )

    def click_if_present(self, xpath: str, timeout: float = 10) -> bool:
        """Click the first element matching `xpath` once it appears (e.g. a dialog's dismiss button)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            elements = self._call(
                "POST", f"/session/{self._session}/elements", {"using": "xpath", "value": xpath}
            )
            if elements:
                element_id = next(iter(elements[0].values()))
                self._call("POST", f"/session/{self._session}/element/{element_id}/click", {})
                return True
            time.sleep(0.5)
        return False

    def wait_for_texts(self, xpath: str, expected: set[str], timeout: float = 90) -> list[str]:
        deadline = time.monotonic() + timeout
        found: list[str] = []
        while time.monotonic() < deadline:
            found = self.texts(xpath)
            if expected <= {text.strip() for text in found}:
                return found
            time.sleep(1)
        raise AssertionError(
            f"the page did not show {sorted(expected)} within {timeout} s (saw {found[:20]})"
        )

    def wait_for_body(self, expected: list[str], timeout: float = 90) -> str:
        """The page's visible text once it contains every string of `expected` (substrings, not elements)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self._call(
                "POST",
                f"/session/{self._session}/execute/sync",
                {"script": "return document.body.innerText;", "args": []},
            )
            if all(part in text for part in expected):
                return text
            time.sleep(1)
        missing = [part for part in expected if part not in text]
        raise AssertionError(f"the page did not show {missing} within {timeout} s (saw {text[:2000]!r})")

    def screenshot(self, path: Path) -> Path:
        png = base64.b64decode(self._call("GET", f"/session/{self._session}/screenshot"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return path

    def stop(self) -> None:
        if self._session:
            with contextlib.suppress(OSError, WebDriverError):
                self._call("DELETE", f"/session/{self._session}")
        if self._driver and self._driver.poll() is None:
            self._driver.terminate()
            try:
                self._driver.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._driver.kill()
                self._driver.wait()

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Scrub secret values out of text before it reaches a log, metadata or an exception.

A secret is masked in every encoding it travels in here: as is, JSON-escaped (quotes, backslashes, control
characters as a JSON string holds them), URL-encoded (`%XX` and `+` for spaces), and base64 (standard and
URL-safe, at any offset inside a longer base64 text, as in a Basic auth header). The AWS credentials of the
process (and any added with `add`) are secrets too. A redactor that cannot know its secrets is closed:
`close(reason)` makes it withhold every text instead of passing it through.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words and digits
_MIN_BASE64 = 6  # base64 fragments shorter than this match ordinary words
# Real AWS secret keys are 40 characters and session tokens hundreds; shorter values in these variables are
# placeholders (moto's "testing") that would mask ordinary words.
_CREDENTIAL_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_MIN_CREDENTIAL = 16


def encodings(secret: str) -> set[str]:
    """The forms a secret takes in JSON, URLs and base64 (every form at least `_MIN_LENGTH` long)."""
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= {quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    raw = secret.encode()
    for offset in range(3):
        # The characters that encode only the secret's bytes when it starts `offset` bytes into a 3-byte group.
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start = (offset * 8 + 5) // 6 if offset else 0
        usable = ((offset + len(raw)) * 8) // 6 - start  # whole sextets of secret bits only
        core = encoded[start : start + usable].rstrip("=")
        if offset == 0:
            forms.add(encoded)
        if len(core) >= _MIN_BASE64:
            forms |= {core, core.replace("+", "-").replace("/", "_")}
    forms.add(base64.urlsafe_b64encode(raw).decode())
    return {form for form in forms if len(form) >= _MIN_LENGTH}


class Redactor:
    """Holds the secret values of one run and replaces them, in every encoding, wherever they appear."""

    def __init__(self, secrets: Iterable[str] = (), *, process_credentials: bool = True) -> None:
        self._secrets: set[str] = set()
        self._closed: str | None = None
        if process_credentials:
            for name in _CREDENTIAL_VARIABLES:
                value = os.environ.get(name, "")
                if len(value) >= _MIN_CREDENTIAL:
                    self.add(value)
        for value in secrets:
            self.add(value)

    def add(self, value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                self.add(item)
        elif isinstance(value, list | tuple | set):
            for item in value:
                self.add(item)
        elif value is not None:
            text = str(value)
            if len(text) >= _MIN_LENGTH:
                self._secrets |= encodings(text)

    def close(self, reason: str) -> None:
        """Withhold every text from now on: the secrets to mask are not known (`reason` says why)."""
        self._closed = reason

    @property
    def closed(self) -> bool:
        return self._closed is not None

    def __call__(self, text: str) -> str:
        if self._closed is not None:
            return f"[withheld: {self._closed}]" if text else text
        try:
            # Longest first, so a secret that contains another is masked whole.
            for secret in sorted(self._secrets, key=len, reverse=True):
                if secret in text:
                    text = text.replace(secret, MASK)
        except Exception as error:  # fail closed: a text that could not be scrubbed is not shown
            return f"[withheld: redaction failed ({type(error).__name__})]"
        return text

    def __bool__(self) -> bool:
        return bool(self._secrets) or self._closed is not None

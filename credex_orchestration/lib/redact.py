"""Scrub secret values out of text before it reaches a log, metadata or an exception."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words and digits


class Redactor:
    """Holds the secret values of one run and replaces them wherever they appear."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
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
                self._secrets.add(text)

    def __call__(self, text: str) -> str:
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._secrets)

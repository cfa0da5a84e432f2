"""Keeps the cookies file's secrets out of logs and replies: its cookie
values are replaced wherever yt-dlp's messages or errors would carry them,
yt-dlp's messages about cookies are withheld altogether, and a file with a
line that is not an entry is refused before yt-dlp could print the line."""

from __future__ import annotations

import re
from pathlib import Path

from optivus_common.errors import FailedPrecondition, OptivusError

MASK = "[redacted]"
MAX_COOKIES_FILE_BYTES = 1024 * 1024
MIN_SECRET_LENGTH = 4
COOKIE_MESSAGE = "(a yt-dlp message about cookies, withheld)"
_EXPIRES = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?)?")


class Redactor:
    def __init__(self, secrets=()) -> None:
        # Longest first, so that a secret inside another goes with it.
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def message(self, text: str) -> str:
        """A yt-dlp message, fit for the log."""
        return COOKIE_MESSAGE if "cookie" in text.lower() else self(text)

    def error(self, error: OptivusError) -> OptivusError:
        error.message = self(error.message)
        error.args = (error.message,)
        error.metadata = {k: self(v) for k, v in error.metadata.items()}
        return error


def cookie_secrets(path: Path) -> list[str]:
    """The values in a Netscape cookies file. A line that is not an entry
    fails the fetch here, before yt-dlp reads the file: yt-dlp prints such
    a line, whole, to stderr."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_COOKIES_FILE_BYTES + 1)
    except OSError as exc:
        raise FailedPrecondition(f"the cookies file (OPTIVUS_DLP_COOKIES_FILE) cannot be read: {exc.strerror}",
                                 reason="COOKIES_FILE_UNREADABLE") from None
    if len(data) > MAX_COOKIES_FILE_BYTES:
        raise FailedPrecondition("the cookies file (OPTIVUS_DLP_COOKIES_FILE) is larger than 1 MB",
                                 reason="COOKIES_FILE_UNREADABLE")
    secrets = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 7 or not _EXPIRES.fullmatch(fields[4]):
            raise FailedPrecondition(
                f"line {number} of the cookies file (OPTIVUS_DLP_COOKIES_FILE) is not a Netscape cookies entry "
                "(7 fields separated by tabs: domain, subdomains, path, https only, expires, name, value)",
                reason="COOKIES_FILE_INVALID", line=number)
        secrets.append(fields[6])
    return secrets

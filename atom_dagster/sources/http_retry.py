"""The capture layer's HTTP: bounded, logged retries of one GET and one capture session, shared by the
live captures (Hub and OpenRouter).

What is retried is what huggingface_hub's ``http_backoff`` retries: 408/429/5xx answers and network
errors (timeouts, refused or reset connections, bodies cut short). The wait is the server's when
it names one (a 429 whose ``RateLimit`` header says ``r=0``: ``t + 1`` seconds; else
``Retry-After``, seconds or an HTTP date), otherwise it doubles from 1 s up to 8 s. A server
asking for more than ``max_wait`` fails at once instead of hanging the capture. Every retry is
logged with its cause and wait; what to do once retries are spent is the caller's to say.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx2
from huggingface_hub.utils import parse_ratelimit_headers

from atom_dagster.sources.errors import CaptureError

RETRIED_STATUS = (408, 429, 500, 502, 503, 504)
RETRIED_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
BASE_WAIT = 1.0  # first backoff wait (seconds), doubled per retry ...
MAX_BACKOFF = 8.0  # ... up to this


def retry_after_seconds(headers: httpx2.Headers, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delay-seconds or an HTTP date; None when absent/unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def server_wait(response: httpx2.Response) -> tuple[float, str] | None:
    """The wait the server asks for and its basis: ``RateLimit`` (429, r=0) t + 1 s, else ``Retry-After``."""
    if response.status_code == 429:
        info = parse_ratelimit_headers(response.headers)
        if info is not None and info.remaining == 0:
            return float(info.reset_in_seconds) + 1, f"RateLimit t={info.reset_in_seconds}"
    seconds = retry_after_seconds(response.headers)
    if seconds is None:
        return None
    return seconds, f"Retry-After {response.headers['retry-after'].strip()}"


def status_line(response: httpx2.Response) -> str:
    return f"{response.status_code} {response.reason_phrase}".strip()


def retries_phrase(retries: int) -> str:
    return f"{retries} retr{'y' if retries == 1 else 'ies'}"


def get_with_retries(
    send: Callable[[], httpx2.Response],
    what: str,
    *,
    max_retries: int,
    max_wait: float,
    log: Callable[[str], None],
    describe: Callable[[BaseException], str],
    fail: Callable[[str, int], Exception],
    sleep: Callable[[float], None] | None = None,
    on_network_error: Callable[[BaseException], None] | None = None,
    on_retry: Callable[[], None] | None = None,
    cause_of: Callable[[httpx2.Response], str] = status_line,
    again: str = "run it again later",
) -> tuple[httpx2.Response, int]:
    """Call ``send`` until its answer is not a retried status, or retries are spent.

    Returns the last response (the caller judges its status) and the attempts made. A network
    error is re-raised once retries are spent. A server asking to wait longer than ``max_wait``
    raises ``fail(cause, retries spent)``.
    """
    backoff = BASE_WAIT
    attempt = 0
    while True:
        attempt += 1
        try:
            response = send()
        except RETRIED_EXCEPTIONS as exc:
            if on_network_error is not None:
                on_network_error(exc)
            if attempt > max_retries:
                raise
            cause, asked = describe(exc), None
        else:
            if response.status_code not in RETRIED_STATUS or attempt > max_retries:
                if attempt > 1 and 200 <= response.status_code < 300:
                    log(f"GET {what}: succeeded after {retries_phrase(attempt - 1)}")
                return response, attempt
            cause, asked = cause_of(response), server_wait(response)
        if asked is not None:
            wait, basis = asked
            if wait > max_wait:
                raise fail(
                    f"{cause}; the server asks to wait {wait:g} s ({basis}), longer than the"
                    f" {max_wait:g} s a capture waits; {again}",
                    attempt - 1,
                )
        else:
            wait, basis = backoff, "backoff"
            backoff = min(MAX_BACKOFF, backoff * 2)
        if on_retry is not None:
            on_retry()
        log(f"GET {what}: {cause}; retry {attempt}/{max_retries} in {wait:g} s ({basis})")
        (sleep or time.sleep)(wait)  # looked up now, so a test's patched time.sleep applies


class CaptureSession:
    """One capture's HTTP, shared by every live source: bounded retries (:func:`get_with_retries`),
    request and retry counts, secrets redacted from everything logged or raised, one error type.

    A source subclasses it for what is its own: how requests are sent and authenticated, and what
    its answers mean.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        secrets: set[str],
        max_retries: int,
        max_wait: float,
        timeout: float | None,
        log: Callable[[str], None],
        sleep: Callable[[float], None] | None = None,
        name_endpoint_in_errors: bool = False,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.secrets = sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True)
        self.max_retries = max(0, max_retries)
        self.max_wait = max_wait
        self.timeout = timeout
        self.sleep = sleep
        self._log = log
        self._name_endpoint = name_endpoint_in_errors
        self.requests = 0
        self.retries = 0

    def redact(self, text: str) -> str:
        """``text`` with every secret of this capture replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def log(self, message: str) -> None:
        self._log(self.redact(message))

    def fail(self, what: str, cause: str, retries: int = 0) -> CaptureError:
        """The capture's error for a failed ``GET what`` (secrets redacted)."""
        spent = f" after {retries_phrase(retries)}" if retries else ""
        where = f" (endpoint {self.endpoint})" if self._name_endpoint else ""
        return CaptureError(self.redact(f"GET {what} failed: {cause}{where}{spent}"))

    def send_with_retries(
        self, send: Callable[[], httpx2.Response], what: str, **options
    ) -> tuple[httpx2.Response, int]:
        """``send()`` until its answer is not retried (see :func:`get_with_retries`), counting it all."""

        def counted() -> httpx2.Response:
            self.requests += 1
            return send()

        def count_retry() -> None:
            self.retries += 1

        return get_with_retries(
            counted,
            what,
            max_retries=self.max_retries,
            max_wait=self.max_wait,
            log=self.log,
            fail=lambda cause, retries: self.fail(what, cause, retries),
            sleep=self.sleep,
            on_retry=count_retry,
            **options,
        )

"""The retry rules both live captures share (``atom_dagster.sources.http_retry``), tested directly."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2
import pytest

from atom_dagster.sources.http_retry import get_with_retries, retry_after_seconds, server_wait


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2026, 11, 28, 2, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(httpx2.Headers({"Retry-After": "7"}), now) == 7
    assert retry_after_seconds(httpx2.Headers({"Retry-After": "Sat, 28 Nov 2026 02:00:30 GMT"}), now) == 30
    assert retry_after_seconds(httpx2.Headers({"Retry-After": "soon"}), now) is None
    assert retry_after_seconds(httpx2.Headers({}), now) is None


def test_server_wait_prefers_an_exhausted_rate_limit_window_then_retry_after():
    limited = httpx2.Response(
        429, headers={"RateLimit": '"api";r=0;t=41', "RateLimit-Policy": '"fixed window";"api";q=1000;w=300'}
    )
    assert server_wait(limited) == (42.0, "RateLimit t=41")
    assert server_wait(httpx2.Response(503, headers={"Retry-After": "5"})) == (5.0, "Retry-After 5")
    assert server_wait(httpx2.Response(503)) is None


def _run(answers: list, **kw):
    """Serve ``answers`` in order (a status code, or an exception to raise) through the helper."""
    sent, logs, sleeps, retries = [], [], [], []
    headers = kw.pop("headers", {})

    def send():
        answer = answers[len(sent)]
        sent.append(answer)
        if isinstance(answer, Exception):
            raise answer
        return httpx2.Response(answer, headers=headers if answer != 200 else {})

    options = dict(
        max_retries=3,
        max_wait=60,
        log=logs.append,
        describe=lambda exc: type(exc).__name__,
        fail=lambda cause, spent: RuntimeError(f"{cause} [{spent}]"),
        sleep=sleeps.append,
        on_retry=lambda: retries.append(1),
    )
    options.update(kw)
    result = get_with_retries(send, "/x", **options)
    return result, sent, logs, sleeps, len(retries)


def test_retried_statuses_back_off_then_succeed_and_say_so():
    (response, attempts), sent, logs, sleeps, retries = _run([503, 502, 200])
    assert (response.status_code, attempts, retries) == (200, 3, 2)
    assert sleeps == [1.0, 2.0]
    assert logs == [
        "GET /x: 503 Service Unavailable; retry 1/3 in 1 s (backoff)",
        "GET /x: 502 Bad Gateway; retry 2/3 in 2 s (backoff)",
        "GET /x: succeeded after 2 retries",
    ]


def test_other_statuses_return_at_once_and_spent_retries_return_the_last_answer():
    (response, attempts), _, _, sleeps, _ = _run([404])
    assert (response.status_code, attempts, sleeps) == (404, 1, [])
    (response, attempts), _, _, sleeps, _ = _run([503, 503, 503, 503, 503])
    assert (response.status_code, attempts, sleeps) == (503, 4, [1.0, 2.0, 4.0])


def test_network_errors_are_retried_then_re_raised():
    request = httpx2.Request("GET", "https://example.org/x")
    errors = [httpx2.ConnectError("refused", request=request) for _ in range(4)]
    closed = []
    with pytest.raises(httpx2.ConnectError):
        _run(errors, on_network_error=closed.append)
    assert len(closed) == 4
    (response, attempts), _, logs, _, _ = _run([httpx2.ReadTimeout("slow", request=request), 200])
    assert attempts == 2 and logs[0] == "GET /x: ReadTimeout; retry 1/3 in 1 s (backoff)"


def test_a_server_asking_for_too_long_a_wait_fails_at_once():
    with pytest.raises(RuntimeError) as info:
        _run([429], headers={"Retry-After": "3600"}, again="come back tomorrow")
    assert str(info.value) == (
        "429 Too Many Requests; the server asks to wait 3600 s (Retry-After 3600), longer than the"
        " 60 s a capture waits; come back tomorrow [0]"
    )

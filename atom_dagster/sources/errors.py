"""The capture layer's errors: one type for "this source cannot give the day", one for failed captures."""

from __future__ import annotations


class SourceUnavailable(RuntimeError):
    """The configured source cannot serve the requested partition; the message says why.

    The raw assets report it as the failed check of each table of the day, not as a crash.
    """


class CaptureError(SourceUnavailable):
    """A live capture (Hub, hub-stats history, OpenRouter) failed; the message names the endpoint,
    what was requested and the cause, never a secret. Nothing half-captured is published."""

"""Live capture of one day from the Hugging Face Hub, written as the snapshot archive.

Every ``GET /api/models`` page is stored verbatim (``hub/models/<org>-<page>.json``) and, per
org, the ``GET /api/models/{id}`` answers (``childrenModelCount``) as ``hub/model_info/<org>.jsonl``.
The day is written through :class:`ArchiveWriter` into ``<day>.partial/`` and only published
(``finish``) when every request succeeded.

HTTP goes through huggingface_hub's own stack: the shared client of ``get_session`` (so
``set_client_factory`` controls proxies, certificates and test transports), ``http_backoff``
for retries (408/429/5xx and network errors; a 429 whose ``RateLimit`` header says
``r=0`` waits ``t + 1`` seconds, a ``Retry-After: <seconds>`` is honoured, otherwise the wait
doubles from 1 s up to 8 s), ``hf_raise_for_status`` for typed errors and ``build_hf_headers``.

The page loop is ours, not ``HfApi.list_models``: each page's raw body and cursor must be
archived, and ``list_models`` only yields parsed objects.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import httpx2
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status, http_backoff

from atom_dagster.sources.archive import HUB_MODEL_INFO_DIR, HUB_MODELS_DIR, ArchiveWriter

HUB_LIST_EXPAND = [
    "author",
    "downloads",
    "downloadsAllTime",
    "likes",
    "createdAt",
    "lastModified",
    "tags",
    "pipeline_tag",
    "library_name",
    "gated",
    "safetensors",
    "gguf",
    "cardData",
    "baseModels",
]
# With ``expand`` the Hub returns ONLY the listed fields, plus ``_id`` and ``id`` (always).
MODEL_INFO_EXPAND = ["childrenModelCount"]

# What http_backoff retries by default (huggingface_hub.utils._http): after ``max_retries``
# retries it re-raises the network exception or calls hf_raise_for_status on the last response.
_RETRIED_STATUS = (408, 429, 500, 502, 503, 504)
_RETRIED_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
_LOG_EVERY_MODEL_INFO = 100


class CaptureError(RuntimeError):
    """A live capture failed; the message names endpoint, org, page (or model) and cause."""


@dataclass
class CaptureResult:
    day: str
    day_dir: Path
    requests: int
    pages: int
    models: int
    model_info: int
    not_found: list[str] = field(default_factory=list)


# --- request counting ---------------------------------------------------------------------
# http_backoff hides its retries; a request event hook on the shared client sees every attempt.
# The counter lives in a ContextVar, so the hook is a no-op for anybody else using the client
# (other threads, other captures). If http_backoff replaces the client after a ConnectError,
# the retries on the new client are not seen; each call still counts at least once.
_ATTEMPTS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "_hub_live_attempts", default=None
)


def _count_attempt(request: httpx2.Request) -> None:
    counter = _ATTEMPTS.get()
    if counter is not None:
        counter[0] += 1


def _install_counter(client: httpx2.Client) -> None:
    hooks = client.event_hooks
    if _count_attempt not in hooks["request"]:
        client.event_hooks = {**hooks, "request": [*hooks["request"], _count_attempt]}


# --- helpers ------------------------------------------------------------------------------


class _Redactor:
    """Removes the token (and the Authorization value) from anything written or raised."""

    def __init__(self, token: str | None, headers: dict[str, str]) -> None:
        secrets = {token} if isinstance(token, str) and token else set()
        for key, value in headers.items():
            if key.lower() == "authorization" and value:
                secrets.add(value)
                secrets.add(value.split(" ", 1)[-1])
        self.secrets = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def _query_params(url: str) -> dict[str, Any]:
    """Query string of ``url`` as a dict: ``expand`` always a list, ``limit`` an int, others strings."""
    out: dict[str, Any] = {}
    for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items():
        if key == "expand":
            out[key] = values
        elif key == "limit" and len(values) == 1 and values[0].isdigit():
            out[key] = int(values[0])
        else:
            out[key] = values[0] if len(values) == 1 else values
    return out


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _describe(exc: BaseException, max_retries: int) -> str:
    """Short cause of a failed request: status and reason, or the exception; retries if exhausted."""
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        response = exc.response
        cause = f"{response.status_code} {response.reason_phrase}".strip()
        server = (exc.server_message or "").strip().splitlines()
        if server and server[0] and server[0].lower() not in cause.lower():
            cause += f" ({server[0][:200]})"
        if response.status_code in _RETRIED_STATUS and max_retries > 0:
            cause += f" after {max_retries} retries"
        return cause
    cause = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc, _RETRIED_EXCEPTIONS) and max_retries > 0:
        cause += f" after {max_retries} retries"
    return cause


def _exhausted(exc: BaseException) -> bool:
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return exc.response.status_code in _RETRIED_STATUS
    return isinstance(exc, _RETRIED_EXCEPTIONS)


class _Session:
    """One capture's view of the Hub: headers, counting, redaction, uniform errors."""

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        max_retries: int,
        timeout: float | None,
        log: Callable[[str], None],
    ) -> None:
        self.endpoint = endpoint
        self.headers = build_hf_headers(token=token)
        self.redact = _Redactor(token, self.headers)
        self.max_retries = max_retries
        self.timeout = timeout
        self._log = log
        self.requests = 0
        self.retried = 0

    def log(self, message: str) -> None:
        self._log(self.redact(message))

    def fail(self, what: str, cause: str) -> CaptureError:
        return CaptureError(self.redact(f"GET {what} failed: {cause}"))

    def get(self, url: str, what: str, params: dict[str, Any] | None = None) -> httpx2.Response:
        """GET with http_backoff; raises HfHubHTTPError/httpx2 errors untouched (callers decide)."""
        counter = [0]
        token = _ATTEMPTS.set(counter)
        try:
            _install_counter(get_session())
            try:
                response = http_backoff(
                    "GET",
                    url,
                    params=params,
                    headers=self.headers,
                    timeout=self.timeout,
                    max_retries=self.max_retries,
                )
                hf_raise_for_status(response)
            except BaseException as exc:
                floor = self.max_retries + 1 if _exhausted(exc) else 1
                self.requests += max(counter[0], floor)
                raise
            attempts = max(counter[0], 1)
            self.requests += attempts
            if attempts > 1:
                self.retried += attempts - 1
                self.log(f"GET {what}: succeeded after {attempts - 1} retr{'y' if attempts == 2 else 'ies'}")
            return response
        finally:
            _ATTEMPTS.reset(token)

    def get_or_fail(self, url: str, what: str, params: dict[str, Any] | None = None) -> httpx2.Response:
        try:
            return self.get(url, what, params)
        except Exception as exc:  # any failure of the request itself fails the capture
            raise self.fail(what, _describe(exc, self.max_retries)) from exc


# --- capture ------------------------------------------------------------------------------


def _capture_org_pages(
    session: _Session, writer: ArchiveWriter, org: str, page_limit: int
) -> tuple[int, int, list[str]]:
    """Page through ``/api/models?author=<org>``; returns (pages, models, unique model ids)."""
    params: dict[str, Any] = {"author": org, "expand": list(HUB_LIST_EXPAND), "limit": page_limit}
    url: str | None = f"{session.endpoint}/api/models"
    seen_urls: set[str] = set()
    ids: dict[str, None] = {}
    page = models = 0
    while url is not None:
        page += 1
        what = f"/api/models?author={org} page {page}"
        response = session.get_or_fail(url, what, params if page == 1 else None)
        requested = str(response.request.url) if response.request is not None else url
        seen_urls.add(requested)
        body = response.content
        try:
            items = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise session.fail(what, f"the body is not valid JSON ({exc})") from exc
        if not isinstance(items, list):
            raise session.fail(what, f"the body is a JSON {type(items).__name__}, not an array of models")

        next_url = response.links.get("next", {}).get("url")
        if next_url is not None:
            next_url = urljoin(requested, next_url)
            if _origin(next_url) != _origin(requested):
                # Following it would send the token to another host.
                host = _origin(next_url)[1]
                raise session.fail(what, f"the Link next page points to another host ({host})")
            if next_url in seen_urls:
                raise session.fail(what, "the Link next page repeats an earlier page (cursor loop)")

        writer.write_body(
            f"{HUB_MODELS_DIR}/{org}-{page:04d}.json",
            body,
            request={
                "endpoint": "/api/models",
                "params": _query_params(requested),
                "status": response.status_code,
                "page": page,
                "next": session.redact(next_url) if next_url else None,
                "models": len(items),
            },
        )
        models += len(items)
        for item in items:
            model_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(model_id, str) and model_id:
                ids.setdefault(model_id, None)
        session.log(f"[{org}] page {page}: {len(items)} models (requests so far: {session.requests})")
        url = next_url
    return page, models, list(ids)


def _capture_org_children(
    session: _Session, writer: ArchiveWriter, org: str, model_ids: list[str]
) -> tuple[int, list[dict[str, Any]]]:
    """``GET /api/models/{id}?expand=childrenModelCount`` for every model of the org."""
    infos: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    params = {"expand": list(MODEL_INFO_EXPAND)}
    total = len(model_ids)
    for index, model_id in enumerate(model_ids, start=1):
        what = f"/api/models/{model_id}"
        url = f"{session.endpoint}/api/models/{quote(model_id, safe='/')}"
        try:
            response = session.get(url, what, params)
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if isinstance(exc, RepositoryNotFoundError) or status == 404:
                # 404, or a 401 the Hub uses for private/gated/missing repos: not a failure.
                missing.append({"id": model_id, "status": status, "error": type(exc).__name__})
                session.log(f"[{org}] model_info {model_id}: not found ({status})")
                continue
            raise session.fail(what, _describe(exc, session.max_retries)) from exc
        except Exception as exc:
            raise session.fail(what, _describe(exc, session.max_retries)) from exc
        try:
            obj = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise session.fail(what, f"the body is not valid JSON ({exc})") from exc
        if not isinstance(obj, dict):
            raise session.fail(what, f"the body is a JSON {type(obj).__name__}, not a model object")
        infos.append(obj)
        if index % _LOG_EVERY_MODEL_INFO == 0 or index == total:
            session.log(f"[{org}] model_info {index}/{total} (requests so far: {session.requests})")
    writer.write_jsonl(
        f"{HUB_MODEL_INFO_DIR}/{org}.jsonl",
        infos,
        request={
            "endpoint": "/api/models/{id}",
            "params": params,
            "status": 200,
            "count": len(infos),
            "requested": total,
            "not_found": missing,
        },
    )
    return len(infos), missing


def capture_hub_day(
    archive_root: Path,
    day: str,
    orgs: list[str],
    *,
    endpoint: str = "https://huggingface.co",
    token: str | None = None,
    page_limit: int = 1000,
    fetch_children: bool = True,
    log: Callable[[str], None] = print,
    max_retries: int = 5,
    timeout: float | None = 60.0,
) -> CaptureResult:
    """Capture ``day`` for ``orgs`` from the live Hub into ``archive_root/<day>/``.

    Raises :class:`CaptureError` (the token never appears in it) on any failed request or
    unusable page; the partial day then stays in ``<day>.partial/``. Models answering 404 on
    ``/api/models/{id}`` are listed in ``not_found`` and in the manifest, and do not fail it.
    ``token=None`` lets huggingface_hub use the machine's token (HF_TOKEN or the cache).
    """
    endpoint = endpoint.rstrip("/")
    session = _Session(endpoint, token, max_retries, timeout, log)
    writer = ArchiveWriter(Path(archive_root), day, source="live")
    pages = models = model_info = 0
    not_found: list[dict[str, Any]] = []
    for org in orgs:
        org_pages, org_models, model_ids = _capture_org_pages(session, writer, org, page_limit)
        pages += org_pages
        models += org_models
        session.log(
            f"[{org}] {org_models} models on {org_pages} page(s), {len(model_ids)} unique ids"
            f" (requests so far: {session.requests})"
        )
        if fetch_children:
            found, missing = _capture_org_children(session, writer, org, model_ids)
            model_info += found
            not_found.extend({**m, "org": org} for m in missing)
    final = writer.finish(
        extra={
            "capture": {
                "orgs": list(orgs),
                "requests": session.requests,
                "retries": session.retried,
                "endpoint": endpoint,
                "page_limit": page_limit,
                "expand": list(HUB_LIST_EXPAND),
                "fetch_children": fetch_children,
                "not_found": not_found,
            }
        }
    )
    session.log(
        f"captured {day}: {pages} pages, {models} models, {model_info} model_info,"
        f" {len(not_found)} not found, {session.requests} requests -> {final}"
    )
    return CaptureResult(
        day=day,
        day_dir=final,
        requests=session.requests,
        pages=pages,
        models=models,
        model_info=model_info,
        not_found=[m["id"] for m in not_found],
    )

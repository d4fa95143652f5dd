"""Live capture of one day from the Hugging Face Hub, written as the snapshot archive.

Every ``GET /api/models`` page is stored verbatim (``hub/models/<org>-<page>.json``) and, per
org, the ``GET /api/models/{id}`` answers (``childrenModelCount``) as ``hub/model_info/<org>.jsonl``.
After the organizations, the whole Hub's models created on the day are listed newest first into
``hub/new_models/`` (:mod:`atom_dagster.sources.hub_new_models`, on the same page loop).
The day is written through :class:`ArchiveWriter` into ``<day>.partial/`` and only published
(``finish``) when every request succeeded.

HTTP goes through huggingface_hub's own stack: the shared client of ``get_session`` (so
``set_client_factory`` controls proxies, certificates and test transports), ``hf_raise_for_status``
for typed errors and ``build_hf_headers``. Retries are bounded and logged (``http_retry``, shared
with the OpenRouter capture, with the waits of ``http_backoff``): 408/429/5xx and network errors
are retried up to ``max_retries`` times, waiting what the server asks (``RateLimit``,
``Retry-After``) or a doubling backoff; a server asking for more than ``max_wait`` fails the
capture at once instead of hanging it. Every failure names the request (endpoint, org and page, or
model), the cause and the retries spent; the token never appears in it.

Resuming: every archived page is appended to the writer's journal (``PROGRESS.jsonl``), then its
``PROGRESS.json`` records, per org (and for the new-models listing), the pages done and the ``Link``
URL of the next page (the cursor): a constant cost per page, however long the day. A capture
that died (error, SIGKILL) leaves ``<day>.partial/``; the next capture of the same day with the
same parameters continues from the first page not yet archived. One capture per day at a time (a
lock file under ``<archive>/.locks/``); a second one fails at once and says so.

The page loop is ours, not ``HfApi.list_models``: each page's raw body and cursor must be
archived, and ``list_models`` only yields parsed objects.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import httpx2
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import (
    build_hf_headers,
    close_session,
    get_session,
    hf_raise_for_status,
)

from atom_dagster.locks import LockTimeout, acquire, process_holder
from atom_dagster.sources.archive import HUB_MODEL_INFO_DIR, HUB_MODELS_DIR, ArchiveWriter
from atom_dagster.sources.errors import CaptureError
from atom_dagster.sources.http_retry import RETRIED_EXCEPTIONS, RETRIED_STATUS, CaptureSession
from atom_dagster.sources.model_info_policy import MODEL_INFO_ALL, MODEL_INFO_OFF, select_model_info

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
MODEL_INFO_EXPAND = ["childrenModelCount", "inferenceProviderMapping"]

# The Hub's rate limits are 5-minute windows: a wait of up to one window (+1 s) is honoured.
DEFAULT_MAX_WAIT = 330.0
_LOG_EVERY_MODEL_INFO = 100


@dataclass
class CaptureResult:
    day: str
    day_dir: Path
    requests: int
    pages: int
    models: int
    model_info: int
    not_found: list[str] = field(default_factory=list)
    new_model_pages: int = 0  # the whole Hub's listing of the day's new models (hub_new_models)
    new_models: int = 0  # listed models created on the day (a model repeated at a page boundary twice)


# --- helpers ------------------------------------------------------------------------------


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


def _describe(exc: BaseException) -> str:
    """Short cause of a failed request: status and reason (and the server's word), or the exception."""
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        response = exc.response
        cause = f"{response.status_code} {response.reason_phrase}".strip()
        server = (exc.server_message or "").strip().splitlines()
        if server and server[0] and server[0].lower() not in cause.lower():
            cause += f" ({server[0][:200]})"
        return cause
    detail = str(exc).strip()
    if isinstance(exc, httpx2.TimeoutException):
        detail = f"{detail or 'timed out'}; no answer within the client timeout"
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _exhausted(exc: BaseException) -> bool:
    """True when ``exc`` is what is left after every retry (a retried status or network error)."""
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return exc.response.status_code in RETRIED_STATUS
    return isinstance(exc, RETRIED_EXCEPTIONS)


def _close_broken_connection(exc: BaseException) -> None:
    if isinstance(exc, httpx2.ConnectError):
        close_session()  # as http_backoff does: a broken connection may poison the client


def _secrets(token: str | None, headers: dict[str, str]) -> set[str]:
    """The token and the Authorization value: kept out of anything written or raised."""
    secrets = {token} if isinstance(token, str) and token else set()
    for key, value in headers.items():
        if key.lower() == "authorization" and value:
            secrets.add(value)
            secrets.add(value.split(" ", 1)[-1])
    return secrets


class _Session(CaptureSession):
    """One capture's view of the Hub: huggingface_hub's session and headers, its typed errors."""

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        max_retries: int,
        timeout: float | None,
        log: Callable[[str], None],
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> None:
        self.headers = build_hf_headers(token=token)
        super().__init__(
            endpoint,
            secrets=_secrets(token, self.headers),
            max_retries=max_retries,
            max_wait=max_wait,
            timeout=timeout,
            log=log,
            name_endpoint_in_errors=True,
        )

    def get(self, url: str, what: str, params: dict[str, Any] | None = None) -> httpx2.Response:
        """GET with bounded retries.

        Returns a 2xx/3xx response; raises the typed HfHubHTTPError of a non-retried status, or the
        last error once retries are spent (callers decide), or CaptureError when the server asks
        to wait longer than ``max_wait``.
        """
        response, _attempts = self.send_with_retries(
            lambda: get_session().request(
                "GET", url, params=params, headers=self.headers, timeout=self.timeout
            ),
            what,
            describe=_describe,
            on_network_error=_close_broken_connection,
            again="run it again later (it resumes)",
        )
        hf_raise_for_status(response)
        return response

    def get_or_fail(self, url: str, what: str, params: dict[str, Any] | None = None) -> httpx2.Response:
        try:
            return self.get(url, what, params)
        except CaptureError:
            raise
        except Exception as exc:  # any failure of the request itself fails the capture
            raise self.fail(what, _describe(exc), self.max_retries if _exhausted(exc) else 0) from exc


@contextlib.contextmanager
def _day_lock(archive_root: Path, day: str) -> Iterator[None]:
    """Hold ``<archive>/.locks/<day>.lock``: one capture of a day at a time (released on any exit)."""
    path = archive_root / ".locks" / f"{day}.lock"
    try:
        lock = acquire(path, process_holder("atom capture"))
    except LockTimeout:
        partial = archive_root / f"{day}.partial"
        raise CaptureError(
            f"Another capture of {day} is running into {partial} (lock {path}); "
            "wait for it to finish. Nothing was written by this one."
        ) from None
    with lock:
        yield


# --- capture ------------------------------------------------------------------------------


def _page_file(org: str, page: int) -> str:
    return f"{HUB_MODELS_DIR}/{org}-{page:04d}.json"


def capture_pages(
    session: _Session,
    writer: ArchiveWriter,
    *,
    label: str,
    what: str,
    params: dict[str, Any],
    page_file: Callable[[int], str],
    progress: dict[str, Any],
    save: Callable[[], None],
    on_page: Callable[[list[Any], str], tuple[bool, str]] | None = None,
) -> None:
    """Page through one ``GET /api/models`` listing from where ``progress`` stopped.

    ``progress`` holds ``pages`` (archived so far), ``models`` and ``next`` (the Link URL of the
    next page: the cursor); it is saved after every archived page, so a killed capture resumes at
    the next cursor. Each body is archived verbatim as ``page_file(page)``. ``on_page(items,
    what)``, when given, sees every page before it is archived and returns (stop here, a note for
    the log line): the listing ends at a stop even if the Hub has a next page. ``what`` names the
    listing in errors (``/api/models?author=Qwen``), ``label`` in log lines.
    """
    page = progress["pages"]
    url: str | None = f"{session.endpoint}/api/models"
    first: dict[str, Any] | None = params
    if page:
        url, first = progress["next"], None  # resume: the cursor URL carries every parameter
    seen_urls: set[str] = set()
    while url is not None:
        page += 1
        page_what = f"{what} page {page}"
        response = session.get_or_fail(url, page_what, first)
        first = None  # later pages: exactly the Link URL
        requested = str(response.request.url) if response.request is not None else url
        seen_urls.add(requested)
        body = response.content
        try:
            items = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise session.fail(page_what, f"the body is not valid JSON ({exc})") from exc
        if not isinstance(items, list):
            found = type(items).__name__
            raise session.fail(page_what, f"the body is a JSON {found}, not an array of models")

        next_url = response.links.get("next", {}).get("url")
        if next_url is not None:
            next_url = urljoin(requested, next_url)
            if _origin(next_url) != _origin(requested):
                # Following it would send the token to another host.
                host = _origin(next_url)[1]
                raise session.fail(page_what, f"the Link next page points to another host ({host})")
            if next_url in seen_urls:
                raise session.fail(page_what, "the Link next page repeats an earlier page (cursor loop)")
        stop, note = on_page(items, page_what) if on_page is not None else (False, "")

        writer.write_body(
            page_file(page),
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
        done = next_url is None or stop
        progress.update(pages=page, models=progress["models"] + len(items), next=next_url, pages_done=done)
        save()
        session.log(f"[{label}] page {page}: {len(items)} models{note} (requests so far: {session.requests})")
        url = None if done else next_url


def _capture_org_pages(
    session: _Session,
    writer: ArchiveWriter,
    org: str,
    page_limit: int,
    progress: dict[str, Any],
    save: Callable[[], None],
) -> None:
    """Page through ``/api/models?author=<org>`` from where ``progress`` stopped."""
    capture_pages(
        session,
        writer,
        label=org,
        what=f"/api/models?author={org}",
        params={"author": org, "expand": list(HUB_LIST_EXPAND), "limit": page_limit},
        page_file=lambda page: _page_file(org, page),
        progress=progress,
        save=save,
    )


def _archived_items(writer: ArchiveWriter, org: str, pages: int) -> list[Any]:
    """The objects of the org's archived pages, in page order (also after a resume)."""
    return [
        item
        for page in range(1, pages + 1)
        for item in json.loads((writer.partial_dir / _page_file(org, page)).read_bytes())
    ]


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
        except CaptureError:
            raise
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if isinstance(exc, RepositoryNotFoundError) or status == 404:
                # 404, or a 401 the Hub uses for private/gated/missing repos: not a failure.
                missing.append({"id": model_id, "status": status, "error": type(exc).__name__})
                session.log(f"[{org}] model_info {model_id}: not found ({status})")
                continue
            raise session.fail(what, _describe(exc), session.max_retries if _exhausted(exc) else 0) from exc
        except Exception as exc:
            raise session.fail(what, _describe(exc), session.max_retries if _exhausted(exc) else 0) from exc
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


def _resume_point(orgs: list[str], progress: dict[str, Any], new_models: dict[str, Any] | None) -> str:
    for org in orgs:
        done = progress.get(org) or {}
        if not done.get("pages_done"):
            return f"{org} page {done.get('pages', 0) + 1}"
        if not done.get("children_done"):
            return f"{org} model_info"
    if new_models is not None and not new_models.get("pages_done"):
        return f"new models page {new_models.get('pages', 0) + 1}"
    return "the manifest (every request was done)"


def capture_hub_day(
    archive_root: Path,
    day: str,
    orgs: list[str],
    *,
    endpoint: str = "https://huggingface.co",
    token: str | None = None,
    page_limit: int = 1000,
    model_info: str = MODEL_INFO_ALL,
    new_models: bool = True,
    log: Callable[[str], None] = print,
    max_retries: int = 5,
    timeout: float | None = 60.0,
    max_wait: float = DEFAULT_MAX_WAIT,
) -> CaptureResult:
    """Capture ``day`` for ``orgs`` from the live Hub into ``archive_root/<day>/``.

    Raises :class:`CaptureError` (the token never appears in it) on any failed request or
    unusable page; the partial day then stays in ``<day>.partial/`` and the next call with the
    same parameters resumes from the first page not yet archived (an org's model_info requests
    are redone as a whole). Which models get ``/api/models/{id}`` is the ``model_info`` policy
    (:mod:`~atom_dagster.sources.model_info_policy`: ``all``, ``listed``, ``off``). Models
    answering 404 on ``/api/models/{id}`` are listed in
    ``not_found`` and in the manifest, and do not fail it. ``token=None`` lets huggingface_hub
    use the machine's token (HF_TOKEN or the cache). With ``new_models`` the whole Hub's models
    created on ``day`` are listed after the organizations (:mod:`~atom_dagster.sources.hub_new_models`).
    """
    # Imported here: hub_new_models builds on this module's page loop.
    from atom_dagster.sources import hub_new_models as listing

    endpoint = endpoint.rstrip("/")
    archive_root = Path(archive_root)
    orgs = list(orgs)
    session = _Session(endpoint, token, max_retries, timeout, log, max_wait=max_wait)
    # What must be equal for a partial day to be continued (never the token).
    resume_key = {
        "endpoint": endpoint,
        "orgs": orgs,
        "page_limit": page_limit,
        "expand": list(HUB_LIST_EXPAND),
        "model_info_expand": list(MODEL_INFO_EXPAND),
        "model_info": model_info,
        "new_models": new_models,
    }
    if new_models:
        resume_key["new_models_expand"] = list(listing.NEW_MODELS_EXPAND)
    with _day_lock(archive_root, day):
        writer = ArchiveWriter(archive_root, day, source="live", resume_key=resume_key)
        state: dict[str, Any] = writer.state if writer.resumed else {}
        progress: dict[str, Any] = state.setdefault("orgs", {})
        runs: list[dict[str, Any]] = state.setdefault("runs", [])
        new_progress = state.setdefault("new_models", listing.new_progress()) if new_models else None
        run: dict[str, Any] = {"started_at": writer._clock(), "requests": 0, "retries": 0}
        if writer.resumed:
            run["resumed_from"] = _resume_point(orgs, progress, new_progress)
            session.log(
                f"resuming the capture of {day} from {run['resumed_from']}"
                f" ({len(writer.files)} files already in {writer.partial_dir})"
            )
        runs.append(run)

        def save() -> None:
            run.update(requests=session.requests, retries=session.retries)
            writer.checkpoint(state)

        for org in orgs:
            org_progress = progress.setdefault(
                org, {"pages": 0, "models": 0, "next": None, "pages_done": False, "children_done": False}
            )
            if not org_progress["pages_done"]:
                _capture_org_pages(session, writer, org, page_limit, org_progress, save)
                items = _archived_items(writer, org, org_progress["pages"])
                session.log(
                    f"[{org}] {org_progress['models']} models on {org_progress['pages']} page(s),"
                    f" {len(select_model_info(items, MODEL_INFO_ALL, day))} unique ids, model_info for"
                    f" {len(select_model_info(items, model_info, day))} ({model_info})"
                    f" (requests so far: {session.requests})"
                )
            if model_info != MODEL_INFO_OFF and not org_progress["children_done"]:
                items = _archived_items(writer, org, org_progress["pages"])
                model_ids = select_model_info(items, model_info, day)
                found, missing = _capture_org_children(session, writer, org, model_ids)
                org_progress.update(children_done=True, model_info=found, not_found=missing)
                save()
        if new_progress is not None and not new_progress["pages_done"]:
            listing.capture_new_models(session, writer, day, page_limit, new_progress, save)
        run.update(requests=session.requests, retries=session.retries)
        totals = {name: sum(progress[o].get(name, 0) for o in orgs) for name in ("pages", "models")}
        totals["model_info"] = sum(progress[o].get("model_info", 0) for o in orgs)
        not_found = [{**m, "org": org} for org in orgs for m in progress[org].get("not_found", [])]
        final = writer.finish(
            extra={
                "capture": {
                    "orgs": orgs,
                    "requests": sum(r["requests"] for r in runs),
                    "retries": sum(r["retries"] for r in runs),
                    "endpoint": endpoint,
                    "page_limit": page_limit,
                    "expand": list(HUB_LIST_EXPAND),
                    "model_info": model_info,
                    "not_found": not_found,
                    "runs": runs,
                }
                | ({"new_models": listing.manifest_section(new_progress, page_limit)} if new_progress else {})
            }
        )
    listed = f", {new_progress['created_on_day']} new models" if new_progress else ""
    session.log(
        f"captured {day}: {totals['pages']} pages, {totals['models']} models,"
        f" {totals['model_info']} model_info, {len(not_found)} not found{listed},"
        f" {session.requests} requests -> {final}"
    )
    return CaptureResult(
        day=day,
        day_dir=final,
        requests=session.requests,
        pages=totals["pages"],
        models=totals["models"],
        model_info=totals["model_info"],
        not_found=[m["id"] for m in not_found],
        new_model_pages=new_progress["pages"] if new_progress else 0,
        new_models=new_progress["created_on_day"] if new_progress else 0,
    )

"""Live capture of one day from OpenRouter into the snapshot archive's ``openrouter/`` folder.

Two endpoints, each body archived verbatim:

* ``GET /api/v1/models?output_modalities=all`` -> ``openrouter/models.json``. Public, no key.
  Without ``output_modalities`` the catalogue lists text-output models only; ``all`` also
  returns image, audio, embedding and speech models, so a model never disappears from the
  catalogue (and from the Hub mapping) because its output modality changed. The marts keep
  every row; the modalities are columns.
* ``GET /api/v1/datasets/rankings-daily?start_date=D&end_date=D`` ->
  ``openrouter/rankings-daily.json``. Needs an API key (``OPENROUTER_API_KEY``): the top 50
  models by tokens of UTC day D plus one aggregated ``other`` row, ``total_tokens`` as decimal
  strings. Without a key it is not requested, and the folder's manifest says why.

The folder is one self-contained unit with its own ``openrouter/MANIFEST.json`` (files
relative to the folder). Why not the day's MANIFEST.json: the Hub capture of the same day is
written by :class:`~atom_dagster.sources.archive.ArchiveWriter` into ``<day>.partial/`` and
renamed over ``<day>/`` when it finishes, on its own schedule. A per-source unit lets both
captures publish independently, and a replay reads both (``hub/`` through the day's manifest,
``openrouter/`` through its own). The unit is written into a hidden staging folder
``<archive>/.openrouter-<day>.partial/`` and then copied, folder-renamed, into every
incarnation of the day that exists: ``<day>/`` (created if needed) and, when a Hub capture of
that day is under way, ``<day>.partial/`` too, so the Hub's final rename carries it along. A Hub
capture of the day started *after* the unit was published keeps it as well:
``ArchiveWriter.finish`` carries over the top-level folders of the replaced day that the new
capture did not write.

HTTP: a plain ``httpx2.Client`` (the client huggingface_hub itself uses), not huggingface_hub's
shared session, whose hooks add Hub trace headers and refuse requests in ``HF_HUB_OFFLINE``
mode; OpenRouter is another service. Bounded retries for 408/429/5xx and network errors, shared
with the Hub capture (``http_retry``): ``Retry-After`` (seconds or an HTTP date) is honoured up to
``max_wait`` seconds, otherwise the wait doubles from 1 s up to 8 s; a longer ``Retry-After``
fails at once with the wait in the message (the Data API also has a daily quota). Redirects are
not followed (the key must not travel elsewhere). A 401/403 names the endpoint and says the key was rejected;
the key itself never appears in logs, manifests or errors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from atom_dagster.sources.archive import ArchiveWriter
from atom_dagster.sources.errors import CaptureError
from atom_dagster.sources.http_retry import RETRIED_EXCEPTIONS, RETRIED_STATUS, CaptureSession

OPENROUTER_ENDPOINT = "https://openrouter.ai"
OPENROUTER_DIR = "openrouter"
MODELS_FILE = "models.json"
RANKINGS_FILE = "rankings-daily.json"
MODELS_PATH = "/api/v1/models"
RANKINGS_PATH = "/api/v1/datasets/rankings-daily"
# Every output modality: text, image, audio, embeddings, speech... (the default is text only).
OUTPUT_MODALITIES = "all"
# OpenRouter's required citation for the rankings dataset (CC BY 4.0); "as of" is meta.as_of.
ATTRIBUTION = "Source: OpenRouter (openrouter.ai/rankings)"
USER_AGENT = "atom-pipeline (open model ecosystem measurement)"
KEY_ENV = "OPENROUTER_API_KEY"

KEY_REJECTED_STATUS = (401, 403)


@dataclass
class OpenRouterCaptureResult:
    day: str
    unit_dir: Path  # <archive>/<day>/openrouter
    requests: int
    retries: int
    models: int
    rankings_rows: int | None  # None: not captured (see rankings_skipped)
    rankings_skipped: str | None = None
    published_to: list[Path] = field(default_factory=list)


class _Session(CaptureSession):
    """One capture's view of OpenRouter: its own client, Bearer key on the rankings, its statuses."""

    def __init__(
        self,
        endpoint: str,
        api_key: str | None,
        client: httpx2.Client,
        *,
        max_retries: int,
        max_wait: float,
        timeout: float | None,
        sleep: Callable[[float], None],
        log: Callable[[str], None],
    ) -> None:
        self.api_key = api_key or None
        self.client = client
        super().__init__(
            endpoint,
            secrets={self.api_key} if self.api_key else set(),
            max_retries=max_retries,
            max_wait=max_wait,
            timeout=timeout,
            log=log,
            sleep=sleep,
        )

    def fail(self, what: str, cause: str, retries: int = 0) -> CaptureError:
        # OpenRouter's causes say themselves when retries were spent.
        return super().fail(what, cause)

    @staticmethod
    def _server_message(response: httpx2.Response) -> str:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            return ""
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        return str(message).strip().splitlines()[0][:200] if message else ""

    def _status_cause(self, response: httpx2.Response) -> str:
        cause = f"{response.status_code} {response.reason_phrase}".strip()
        server = self._server_message(response)
        if server and server.lower() not in cause.lower():
            cause += f" ({server})"
        return cause

    def get(self, path: str, params: dict[str, str], *, authenticated: bool) -> tuple[httpx2.Response, int]:
        """GET ``path`` with bounded retries; returns the 2xx response and the attempts it took."""
        what = path
        url = f"{self.endpoint}{path}"
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if authenticated:
            headers["Authorization"] = f"Bearer {self.api_key}"

        try:
            response, attempts = self.send_with_retries(
                lambda: self.client.get(url, params=params, headers=headers, timeout=self.timeout),
                what,
                describe=lambda exc: type(exc).__name__,
                cause_of=self._status_cause,
            )
        except RETRIED_EXCEPTIONS as exc:
            raise self.fail(what, f"{type(exc).__name__}: {exc} after {self.max_retries} retries") from exc
        except httpx2.HTTPError as exc:
            raise self.fail(what, f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return response, attempts
        if status in KEY_REJECTED_STATUS and authenticated:
            raise self.fail(
                what,
                f"{self._status_cause(response)}: OpenRouter rejected the API key from {KEY_ENV} "
                "(invalid, disabled or without access to this endpoint). Check the key; "
                "it is not shown here.",
            )
        spent = f" after {self.max_retries} retries" if status in RETRIED_STATUS else ""
        raise self.fail(what, f"{self._status_cause(response)}{spent}")


def _json_body(session: _Session, what: str, response: httpx2.Response) -> Any:
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise session.fail(what, f"the body is not valid JSON ({exc})") from exc


def capture_openrouter_day(
    archive_root: Path,
    day: str,
    *,
    api_key: str | None = None,
    endpoint: str = OPENROUTER_ENDPOINT,
    output_modalities: str = OUTPUT_MODALITIES,
    client_factory: Callable[[], httpx2.Client] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
    max_retries: int = 5,
    max_wait: float = 120.0,
    timeout: float | None = 60.0,
) -> OpenRouterCaptureResult:
    """Capture ``day`` (UTC) from OpenRouter into ``archive_root/<day>/openrouter/``.

    Raises :class:`CaptureError` on any failed request or unusable body; nothing is published
    then (the unfinished unit stays in the hidden staging folder). Without ``api_key`` the
    rankings dataset is skipped and the unit's manifest records why.
    """
    archive_root = Path(archive_root)
    client = client_factory() if client_factory else httpx2.Client(follow_redirects=False)
    session = _Session(
        endpoint,
        api_key,
        client,
        max_retries=max_retries,
        max_wait=max_wait,
        timeout=timeout,
        sleep=sleep,
        log=log,
    )
    writer = ArchiveWriter(archive_root, day, source="live", unit=OPENROUTER_DIR, redact=session.redact)

    def archive(name: str, response: httpx2.Response, record: dict[str, Any]) -> None:
        writer.write_body(name, response.content, {**record, "status": response.status_code})

    try:
        params = {"output_modalities": output_modalities}
        response, attempts = session.get(MODELS_PATH, params, authenticated=False)
        body = _json_body(session, MODELS_PATH, response)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise session.fail(MODELS_PATH, "the body is not a JSON object with a `data` array of models")
        models = len(body["data"])
        archive(
            MODELS_FILE,
            response,
            {"endpoint": MODELS_PATH, "params": params, "attempts": attempts, "models": models},
        )
        session.log(f"[openrouter] catalogue: {models} models ({output_modalities} output modalities)")

        rankings_rows: int | None = None
        skipped: str | None = None
        if not session.api_key:
            skipped = f"{KEY_ENV} is not set: the rankings dataset needs an API key, so it was not requested"
            writer.requests.append(
                {
                    "endpoint": RANKINGS_PATH,
                    "params": {"start_date": day, "end_date": day},
                    "skipped": skipped,
                }
            )
            session.log(f"[openrouter] rankings-daily {day}: skipped ({skipped})")
        else:
            params = {"start_date": day, "end_date": day}
            response, attempts = session.get(RANKINGS_PATH, params, authenticated=True)
            body = _json_body(session, RANKINGS_PATH, response)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise session.fail(RANKINGS_PATH, "the body is not a JSON object with a `data` array of rows")
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            rankings_rows = len(body["data"])
            archive(
                RANKINGS_FILE,
                response,
                {
                    "endpoint": RANKINGS_PATH,
                    "params": params,
                    "attempts": attempts,
                    "authenticated": True,
                    "rows": rankings_rows,
                    "meta": meta,
                },
            )
            session.log(
                f"[openrouter] rankings-daily {day}: {rankings_rows} rows (as of {meta.get('as_of')})"
            )
    finally:
        if client_factory is None:
            client.close()

    published = writer.finish(
        {
            "attribution": ATTRIBUTION,
            "capture": {
                "endpoint": session.endpoint,
                "output_modalities": output_modalities,
                "rankings": "captured" if skipped is None else f"skipped: {skipped}",
                "requests": session.requests,
                "retries": session.retries,
            },
        }
    )
    session.log(f"[openrouter] captured {day}: {session.requests} requests -> {published}")
    return OpenRouterCaptureResult(
        day=day,
        unit_dir=published,
        requests=session.requests,
        retries=session.retries,
        models=models,
        rankings_rows=rankings_rows,
        rankings_skipped=skipped,
        published_to=writer.published,
    )

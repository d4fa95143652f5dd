"""A small local Hugging Face Hub for fault tests: real HTTP on 127.0.0.1, injectable faults.

Serves what the live capture asks for:

* ``GET /api/models?author=<org>&expand=...&limit=N[&cursor=C]`` -- pages of the org's models
  (compact JSON arrays, as the Hub sends them), the next page in a ``Link: <...>; rel="next"``
  header whose opaque ``cursor`` names the page;
* ``GET /api/models/<org>/<name>?expand=childrenModelCount`` -- one model object (404 with
  ``X-Error-Code: RepoNotFound`` for an unknown id);
* ``GET /api/models?sort=createdAt&...`` (no ``author``: the whole Hub's newest models) -- pages
  of ``new_models`` (default none) in the given order, cursor as above. It is seen with
  ``org`` and ``page`` None, so the org pages' counts in the tests do not include it.

Faults are queued with :meth:`StubHub.fault`; each matches a list page (org + page number) or a
model id and fires ``times`` times: an HTTP status with headers (429 + ``RateLimit`` /
``Retry-After``, 500/502/503), a delay before answering (client timeouts), a connection reset
before the answer or in the middle of the body, or a block that holds the request until the
test releases it (to kill a client mid-capture). The server is bounded: daemon threads, every
wait has a timeout, and a watchdog stops it after ``max_lifetime`` seconds.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

RETRY_NOW = {"Retry-After": "0"}  # a 5xx the client may retry at once (keeps tests fast)


def make_models(org: str, count: int) -> list[dict[str, Any]]:
    """Deterministic Hub-shaped model objects for ``org`` (what ``expand=...`` returns)."""
    out = []
    for i in range(count):
        model_id = f"{org}/{org.lower()}-model-{i}-{(i % 3 + 1) * 7}B"
        out.append(
            {
                "_id": _stable_uid(org, i),
                "id": model_id,
                "author": org,
                "downloads": 1_000 + 17 * i,
                "downloadsAllTime": 100_000 + 1_000 * i,
                "likes": i,
                "createdAt": f"2025-0{1 + i % 9}-1{i % 10}T08:00:00.000Z",
                "lastModified": "2025-10-01T08:00:00.000Z",
                "tags": ["transformers", "safetensors", "text-generation", "license:apache-2.0", "多语言"],
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "gated": False,
            }
        )
    return out


def _stable_uid(org: str, i: int) -> str:
    # hash() is salted per process; ids must be identical in every process (subprocess clients).
    digest = sum(ord(c) * (n + 1) for n, c in enumerate(org)) % 10**8
    return f"{digest:08x}{i:016x}"


def hub_models(orgs: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """``{org: model objects}`` for ``{org: how many}``."""
    return {org: make_models(org, n) for org, n in orgs.items()}


@dataclass
class Fault:
    kind: str  # status | delay | reset | cut | block
    org: str | None = None
    page: int | None = None
    model: str | None = None
    times: int = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    fired: int = 0

    def matches(self, org: str | None, page: int | None, model: str | None) -> bool:
        if self.fired >= self.times:
            return False
        if self.model is not None:
            return model == self.model
        return org == self.org and (self.page is None or page == self.page)


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    org: str | None
    page: int | None
    model: str | None
    authorization: str | None  # kept in memory only, to prove the token was sent
    fault: str | None


def _cursor(page: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"page": page}).encode()).decode().rstrip("=")


def _page_of(cursor: str | None) -> int:
    if not cursor:
        return 1
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(json.loads(base64.urlsafe_b64decode(padded))["page"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # a killed or timed-out client: expected
        pass


class StubHub:
    """Start with ``with StubHub(models) as hub:``; ``hub.endpoint`` is ``http://127.0.0.1:PORT``."""

    def __init__(
        self,
        models: dict[str, list[dict[str, Any]]],
        *,
        max_lifetime: float = 120.0,
        block_timeout: float = 30.0,
        routes: dict[str, bytes] | None = None,
        new_models: list[dict[str, Any]] | None = None,
    ) -> None:
        self.models = models
        self.new_models = new_models or []
        self.routes = routes or {}  # other fixed answers by path (e.g. OpenRouter's endpoints)
        self.by_id = {m["id"]: m for items in models.values() for m in items}
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.block_reached = threading.Event()
        self.release = threading.Event()
        self.block_timeout = block_timeout
        self.max_lifetime = max_lifetime
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Timer | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> StubHub:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        hub = self

        class Handler(_Handler):
            stub = hub

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._watchdog = threading.Timer(self.max_lifetime, self.stop)
        self._watchdog.daemon = True
        self._watchdog.start()

    def stop(self) -> None:
        self.release.set()  # never leave a handler blocked
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._watchdog is not None:
            self._watchdog.cancel()

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- faults and observations ----------------------------------------------------------
    def fault(self, kind: str, **kwargs) -> Fault:
        fault = Fault(kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, org, page, model) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(org, page, model):
                    fault.fired += 1
                    return fault
        return None

    def list_requests(self, org: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.page is not None and (org is None or s.org == org)]

    # --- responses ------------------------------------------------------------------------
    def page_body(self, org: str | None, page: int, limit: int) -> tuple[bytes, bool]:
        """Page ``page`` of ``org``'s listing (None: the whole Hub's new models) and whether more follow."""
        listing = self.new_models if org is None else self.models.get(org, [])
        items = listing[(page - 1) * limit : page * limit]
        more = page * limit < len(listing)
        return json.dumps(items, separators=(",", ":"), ensure_ascii=False).encode(), more


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stub: StubHub

    def log_message(self, format, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, delayed ACKs add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):  # noqa: N802 (http.server naming)
        stub = self.stub
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        org = page = model = None
        listing_page = None
        if parts.path == "/api/models" and "author" not in query:
            listing_page = _page_of((query.get("cursor") or [None])[0])
        elif parts.path == "/api/models":
            org = (query.get("author") or [""])[0]
            page = listing_page = _page_of((query.get("cursor") or [None])[0])
        elif parts.path.startswith("/api/models/"):
            model = parts.path.removeprefix("/api/models/")
        elif parts.path in stub.routes:  # faults match it by path, as ``model=<path>``
            model = parts.path
        fault = stub._take_fault(org, page, model)
        stub.seen.append(
            Seen(parts.path, query, org, page, model, self.headers.get("authorization"), fault and fault.kind)
        )
        if fault is not None:
            if fault.kind == "status":
                body = json.dumps({"error": f"injected {fault.status}"}).encode()
                return self._send(fault.status, body, fault.headers)
            if fault.kind == "reset":
                return self._reset()
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            if fault.kind == "block":
                stub.block_reached.set()
                stub.release.wait(stub.block_timeout)
                return self._reset()
        if listing_page is not None:
            limit = int((query.get("limit") or ["1000"])[0])
            body, more = stub.page_body(org, listing_page, limit)
            headers = {}
            if more:
                next_query = {k: v for k, v in query.items() if k != "cursor"}
                next_query["cursor"] = [_cursor(listing_page + 1)]
                headers["Link"] = (
                    f'<{stub.endpoint}/api/models?{urlencode(next_query, doseq=True)}>; rel="next"'
                )
            if fault is not None and fault.kind == "cut":
                return self._send_cut(body, headers)
            return self._send(200, body, headers)
        if model in stub.routes:
            return self._send(200, stub.routes[model], {})
        if model is not None:
            found = stub.by_id.get(model)
            if found is None:
                body = json.dumps({"error": "Repository not found"}).encode()
                return self._send(404, body, {"X-Error-Code": "RepoNotFound"})
            info = {"_id": found["_id"], "id": found["id"]}
            expand = query.get("expand") or []
            if "childrenModelCount" in expand:
                n = int(found["id"].split("-model-")[1].split("-")[0])
                info["childrenModelCount"] = {"finetune": n, "adapter": 2 * n, "quantized": 1, "merge": 0}
            body = json.dumps(info, separators=(",", ":")).encode()
            if fault is not None and fault.kind == "cut":
                return self._send_cut(body, {})
            return self._send(200, body, {})
        return self._send(404, b'{"error":"no such endpoint"}', {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _send_cut(self, body: bytes, headers: dict[str, str]) -> None:
        """Headers promise the whole body; half of it arrives, then the connection is reset."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
        except OSError:
            pass
        self._reset()

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a dropped proxy does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

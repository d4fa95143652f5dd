"""Start `dagster dev -w workspace.yaml` for a test, wait until its code location has loaded, stop it.

The process runs in its own session (process group), so the webserver, the daemon, the code
server and every run worker they start are stopped together at teardown, even on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """Call ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as exc:  # a server still starting answers with errors
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"{what}: not reached within {timeout:.0f} s (last error: {last_error!r})")


class DagsterDev:
    """One `dagster dev` process group bound to 127.0.0.1:<port>, logging into ``log_path``."""

    def __init__(self, env: Mapping[str, str], log_path: Path, port: int | None = None):
        self.env = dict(env)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.ready_seconds: float | None = None

    def start(self) -> DagsterDev:
        dagster = Path(sys.executable).parent / "dagster"
        command = [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)]
        self.started_at = time.monotonic()
        self.process = start_process_group(command, self.env, self.log_path)
        return self

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"dagster dev exited with {self.process.returncode}; its log ends:\n{self.log_tail()}"
            )

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, timeout: float = 30) -> dict:
        """POST a GraphQL query to the webserver; return ``data`` (raises on GraphQL errors)."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise RuntimeError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def wait_ready(self, timeout: float = 150) -> float:
        """Wait for /server_info, then for the code location to load; return seconds since start."""

        def server_info():
            self._check_alive()
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=5) as response:
                return response.status == 200

        def location_loaded():
            self._check_alive()
            data = self.graphql(WORKSPACE_QUERY, timeout=10)["workspaceOrError"]
            entries = data.get("locationEntries") or []
            if not entries or any(e["loadStatus"] != "LOADED" for e in entries):
                return None
            for entry in entries:
                loaded = entry["locationOrLoadError"] or {}
                if loaded.get("__typename") != "RepositoryLocation":
                    raise RuntimeError(f"code location {entry['name']} failed to load: {loaded}")
            return True

        deadline = time.monotonic() + timeout
        try:
            poll("dagster dev /server_info", server_info, timeout)
            poll(
                "dagster dev code location loaded",
                location_loaded,
                max(1.0, deadline - time.monotonic()),
            )
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\ndagster dev log ends:\n{self.log_tail()}") from exc
        except RuntimeError as exc:
            if "failed to load" in str(exc):
                raise RuntimeError(f"{exc}\ndagster dev log ends:\n{self.log_tail()}") from exc
            raise
        self.ready_seconds = time.monotonic() - self.started_at
        return self.ready_seconds

    def stop(self, grace: float = 20) -> None:
        """Ctrl-C the whole process group (as a terminal would), SIGKILL what is left after ``grace`` s."""
        process, self.process = self.process, None
        stop_process_group(process, grace)


def start_process_group(command: list[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``command`` from the repo root in a new session (its own process group), logging to a file."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process_group(process: subprocess.Popen | None, grace: float = 20, first=signal.SIGINT) -> None:
    """Signal a group started by :func:`start_process_group`, then SIGKILL it; raise if anything survives."""
    if process is None:
        return
    pgid = process.pid  # start_new_session: the leader's pid is the group id
    for sig, wait in ((first, grace), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)
        if process.poll() is not None and _wait_group_gone(pgid, wait):
            return
    process.wait(timeout=5)
    left = group_members(pgid)
    if left:
        raise RuntimeError(f"processes of {process.args!r} survived SIGKILL: {left}")


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return True
        time.sleep(0.2)
    return not group_members(pgid)

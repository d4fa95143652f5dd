"""A throwaway PostgreSQL server for tests: Debian's binaries, a fresh data directory, 127.0.0.1.

``initdb`` and ``postgres`` refuse to run as root, so as root they run as the ``postgres`` user
(which Debian's package creates) through ``runuser``; as anyone else, as that user. The server
listens on a free TCP port of 127.0.0.1 only (its Unix socket in its own folder), asks for a
password over TCP (scram-sha-256), and skips fsync: it lives for one test module.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
REQUIRE_VAR = "ATOM_REQUIRE_POSTGRES"


def postgres_bin_dir(root: Path = PG_ROOT) -> Path | None:
    """The newest installed PostgreSQL's ``bin/`` (with ``initdb`` and ``pg_ctl``), or None."""
    found = [p.parent for p in root.glob("*/bin/pg_ctl") if (p.parent / "initdb").is_file()]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


def missing_reason(bin_dir: Path | None) -> str | None:
    """Why a server cannot be started here, or None when it can."""
    if bin_dir is None:
        return (
            f"PostgreSQL's server binaries are not installed (no {PG_ROOT}/*/bin/initdb and pg_ctl):"
            " install Debian's `postgresql` package; scripts/test.sh does so when run as root."
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root, and there is no `{SERVER_USER}` user to run the server as."
        if shutil.which("runuser") is None:
            return "running as root, and `runuser` (util-linux) is missing to run the server as another user."
    return None


def as_server_user() -> list[str]:
    """The command prefix that runs a program as a user PostgreSQL accepts (not root)."""
    return ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalPostgres:
    """One server: ``start()``, ``create_database()``, ``url()``, and always ``stop()``."""

    bin_dir: Path
    root: Path  # an empty folder; the server's data, socket, log and password file go here
    port: int = field(default_factory=free_port)
    user: str = "atom"
    password: str = field(default_factory=lambda: "pw-" + secrets.token_hex(12), repr=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        command = [*as_server_user(), str(self.bin_dir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log_file.read_text()[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr[-3000:]}\n{log}")

    def start(self) -> None:
        """initdb a new cluster (the password from a file, not the command line), then start it."""
        if os.geteuid() == 0:
            shutil.chown(self.root, user=SERVER_USER)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, user=SERVER_USER)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        )
        pwfile.unlink()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options, "-w", "start")

    def create_database(self, name: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self.url("postgres"))
        try:
            conn.autocommit = True  # CREATE DATABASE runs outside a transaction
            with conn.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop the server (``fast``: open sessions are ended) if it runs."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

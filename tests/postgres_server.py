"""A throwaway PostgreSQL server on 127.0.0.1 (Debian's packages), for the event store tests."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server programs, or None when they are not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """initdb + pg_ctl in a temporary folder, password login for user `shop` on database `store`
    (as the `postgres` system user when the tests run as root: PostgreSQL refuses root)."""

    PASSWORD = "s3cret-pw"

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None
        self.bin = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="fs-pg-"))
        self.data = self.folder / "data"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.folder, "postgres", "postgres")
        pwfile = self.folder / "pw"
        pwfile.write_text(self.PASSWORD + "\n")
        if self._as:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "shop", "--pwfile", str(pwfile), "-A", "scram-sha-256")
        self.start()
        self._run(str(self.bin / "createdb") if (self.bin / "createdb").exists() else "createdb", "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "shop", "store", env={"PGPASSWORD": self.PASSWORD})

    def _run(self, *args: str, env: dict | None = None) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, env={**os.environ, **(env or {})}, timeout=120)

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "start",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://shop:{self.PASSWORD}@127.0.0.1:{self.port}/store"

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)

"""PostgreSQL for the tests: a throwaway cluster started once per session, or the server in
$CURBSIDE_TEST_POSTGRES_URL.

Fixtures (registered by tests/conftest.py):
    postgres_url        session  str  one database shared by the whole session
    fresh_postgres_url  function str  a new empty database per test, dropped afterwards
    postgres_server     session  PostgresServer  to create/drop databases by hand

URLs are SQLAlchemy URLs for psycopg 3: postgresql+psycopg://USER@127.0.0.1:PORT/DBNAME.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from support import INSTALL_SYSTEM_DEPS

ENV_URL = "CURBSIDE_TEST_POSTGRES_URL"
SUPERUSER = "curbside"
SESSION_DATABASE = "curbside_test"
# PostgreSQL refuses to run as root; as root the server runs as this system user.
OS_USER = "postgres"
INSTALL_HINT = (
    "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). Install them with\n"
    "    sudo apt-get install -y --no-install-recommends postgresql\n"
    f"or run {INSTALL_SYSTEM_DEPS} as root, or point {ENV_URL} at a server\n"
    "(e.g. postgresql+psycopg://user:password@127.0.0.1:5432/postgres) whose user may CREATE DATABASE."
)


def find_pg_bindir() -> Path | None:
    """The newest Debian-installed server version's bin directory, or None."""

    def version_key(initdb: Path) -> tuple[int, ...]:
        # /usr/lib/postgresql/<version>/bin/initdb; numeric so that 16 sorts after 9.6.
        return tuple(int(part) for part in re.findall(r"\d+", initdb.parents[1].name))

    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if (p.parent / "pg_ctl").exists()]
    if not candidates:
        return None
    return max(candidates, key=version_key).parent


def ensure_pg_bindir() -> Path:
    """Find the server binaries, installing Debian's package when root; fail loudly otherwise.

    CI must run the PostgreSQL tests, so a missing server is a failure, never a skip.
    """
    bindir = find_pg_bindir()
    if bindir is None and os.geteuid() == 0:
        # Output goes to pytest's capture and is shown if this fixture fails.
        subprocess.run([str(INSTALL_SYSTEM_DEPS)], check=False)
        bindir = find_pg_bindir()
    if bindir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return bindir


def normalise_url(url: str) -> URL:
    """Parse a URL, defaulting the driver to psycopg 3 (the only PostgreSQL driver installed)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class PostgresServer:
    """A server reachable at `url`, whose user may create databases."""

    def __init__(self, url: URL) -> None:
        self.url = url

    def url_for(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def _connect(self) -> psycopg.Connection:
        # libpq takes the same URL without SQLAlchemy's "+driver" suffix.
        conninfo = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)

    def create_database(self, name: str) -> str:
        with self._connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        with self._connect() as conn:
            # A test may leave a pooled connection open; it must not keep the database alive.
            if conn.info.server_version >= 130000:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            else:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempCluster:
    """initdb + pg_ctl in a temporary directory, listening on 127.0.0.1 only, trust auth."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        # As root /tmp, not $TMPDIR: the postgres user must be able to reach the directory.
        self.root = Path(tempfile.mkdtemp(prefix="curbside-pg-", dir="/tmp" if self.as_root else None))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.running = False
        if self.as_root:
            user = _ensure_os_user(OS_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        os.chmod(self.root, 0o700)
        # Also stop the server if the session ends without fixture teardown (e.g. Ctrl+C twice).
        atexit.register(self.stop)

    def _run(self, args: Sequence[str | os.PathLike[str]], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", OS_USER, "--", *cmd]
        # cwd: the server user may not be allowed into the caller's directory (e.g. /root).
        return subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False)

    def _check(self, what: str, result: subprocess.CompletedProcess[str]) -> None:
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            pytest.fail(
                f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}\n{log}",
                pytrace=False,
            )

    def start(self) -> PostgresServer:
        # --no-sync: throwaway data, and the fsyncs dominate initdb's run time.
        initdb = [self.bindir / "initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust", "--no-sync"]
        result = self._run([*initdb, "--encoding=UTF8", "--locale=C"])
        self._check("initdb", result)
        settings = {
            "listen_addresses": "'127.0.0.1'",
            # The socket lives in our directory: /var/run/postgresql may not exist or be writable.
            "unix_socket_directories": f"'{self.root}'",
            # Durability is pointless for a throwaway cluster and costs time.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# curbside tests\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

        # The free port may be taken between choosing and binding it: try a few.
        for attempt in range(3):
            self.port = _free_port()
            pg_ctl = [self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60"]
            result = self._run([*pg_ctl, "-o", f"-p {self.port}", "start"])
            if result.returncode == 0:
                break
            if attempt == 2:
                self._check("pg_ctl start", result)
        self.running = True

        server = PostgresServer(
            URL.create("postgresql+psycopg", username=SUPERUSER, host="127.0.0.1", port=self.port, database="postgres")
        )
        _wait_until_accepting(server)
        server.create_database(SESSION_DATABASE)
        server.url = server.url.set(database=SESSION_DATABASE)
        return server

    def stop_server(self) -> None:
        """Stop the server (fast shutdown: sessions are cut), keeping its data: an outage or a restart."""
        self._check("pg_ctl stop", self._run([self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30",
                                              "stop"]))

    def start_server(self) -> None:
        """Start the stopped server again on the same port."""
        self._check("pg_ctl start", self._run([self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t",
                                               "60", "-o", f"-p {self.port}", "start"]))

    def stop(self) -> None:
        if self.running:
            self.running = False
            result = self._run([self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop"])
            if result.returncode != 0:
                self._run([self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)


def _ensure_os_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        # Debian's postgresql package creates it; without the package (or in a minimal
        # container) a plain system user is enough to own the throwaway cluster.
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
        )
        return pwd.getpwnam(name)


def _wait_until_accepting(server: PostgresServer, timeout: float = 30) -> None:
    # pg_ctl -w already waits; this also proves that TCP on 127.0.0.1 and trust auth work.
    deadline = time.monotonic() + timeout
    while True:
        try:
            with server._connect():
                return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                pytest.fail(f"PostgreSQL at {server.url} did not accept connections: {error}", pytrace=False)
            time.sleep(0.1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """$CURBSIDE_TEST_POSTGRES_URL's server, else a throwaway cluster for this session."""
    external = os.environ.get(ENV_URL)
    if external:
        yield PostgresServer(normalise_url(external))
        return
    cluster = TempCluster(ensure_pg_bindir())
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """One database for the whole session; tests using it see each other's tables."""
    return postgres_server.url.render_as_string(hide_password=False)


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database for one test, dropped (with its connections) afterwards."""
    name = f"curbside_test_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)

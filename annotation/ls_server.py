"""Run Label Studio for WarVoices: its own virtual environment, bound to 127.0.0.1, no questions.

Label Studio 1.23 lives in a separate venv (its Django pins clash with nothing of ours, but it
weighs about 1 GB). Facts this module is built around (checked against 1.23.2):

* Without `--internal-host 127.0.0.1` it listens on 0.0.0.0.
* If the port is busy it silently moves to the next free one, so we check the port first and,
  once it answers, check that the listening socket on *our* port belongs to *our* process.
* Legacy API tokens only work if LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true when the
  organisation is first created (the first start of a data directory).
* `label-studio --version` (and `-h`) start a server: never call them; the installed version is
  read from the package metadata instead.
* Admin user, password and token are read from LABEL_STUDIO_USERNAME/PASSWORD/USER_TOKEN, which
  keeps the token off the process command line (visible in `ps`).

Everything WarVoices keeps about a server lives in `<data-dir>/warvoices/`: the state file (URL,
port, pid), the server log, the admin token and password files (mode 0600) and the server's
identity (`server-id.json`, a random UUID). Label Studio numbers projects and annotations from 1
in every new database, so pulled annotations are named by this identity plus Label Studio's ids:
a new identity is written whenever the database is new (first start of a data directory, or a
data directory whose database was removed), so two servers never share one. The server runs
with umask 077: its database (which holds the users' API tokens) and everything else it writes
are readable only by the owner. The data directory is chosen by the user and is outside version
control.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.store import atomic_write_text
from warvoices.corpus.texts import REPO_ROOT

LS_VERSION = "1.23.2"
VENV_ENV = "WARVOICES_LS_VENV"
DATA_ENV = "WARVOICES_LS_DATA"
TOKEN_ENV = "WARVOICES_LS_TOKEN"
ADMIN_EMAIL = "admin@warvoices.local"
HOST = "127.0.0.1"
DEFAULT_PORT = 8080

# keep the server offline and quiet (no telemetry, no version checks, no downloads)
OFFLINE_ENV = {
    "LABEL_STUDIO_SENTRY_DSN": "",
    "LABEL_STUDIO_FRONTEND_SENTRY_DSN": "",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
    "LATEST_VERSION_CHECK": "false",
    "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
    "COLLECT_ANALYTICS": "false",
    "LABEL_STUDIO_CONVERTER_DOWNLOAD_RESOURCES": "false",
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
}


class ServerError(WarVoicesError):
    """The Label Studio server could not be set up, started, stopped or reached."""


def default_venv() -> Path:
    return Path(os.environ.get(VENV_ENV) or REPO_ROOT / ".venv-ls")


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_ENV) or Path.cwd() / ".ls-data")


@dataclass
class Paths:
    """Where WarVoices keeps its own files inside a Label Studio data directory."""

    data_dir: Path

    @property
    def own(self) -> Path:
        return self.data_dir / "warvoices"

    @property
    def state(self) -> Path:
        return self.own / "server.json"

    @property
    def log(self) -> Path:
        return self.own / "server.log"

    @property
    def token(self) -> Path:
        return self.own / "admin.token"

    @property
    def password(self) -> Path:
        return self.own / "admin.password"

    @property
    def users(self) -> Path:
        return self.own / "users.json"

    @property
    def identity(self) -> Path:
        return self.own / "server-id.json"

    @property
    def database(self) -> Path:
        return self.data_dir / "label_studio.sqlite3"


# -- the server's identity ---------------------------------------------------------------------
def short_server_id(server_id: str) -> str:
    """The part of a server id that goes into annotation ids (48 random bits)."""
    return server_id.replace("-", "")[:12]


def read_identity(paths: Paths) -> dict | None:
    """{"server_id", "created_at"} of the data directory, or None if it has none yet."""
    if not paths.identity.is_file():
        return None
    try:
        raw = json.loads(paths.identity.read_text(encoding="utf-8"))
        uuid.UUID(raw["server_id"])
        return raw
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise ServerError(f"{paths.identity}: not a WarVoices server identity; restore it from a backup (pulled "
                          "annotations are named after it), or delete it only if this data directory's database "
                          "is new") from None


def ensure_identity(paths: Paths, new_database: bool = False) -> dict:
    """The identity of the server of `paths`; a fresh one when there is none or the database is new."""
    ident = None if new_database else read_identity(paths)
    if ident is None:
        ident = {"server_id": str(uuid.uuid4()),
                 "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        paths.own.mkdir(parents=True, exist_ok=True)
        atomic_write_text(paths.identity, json.dumps(ident, indent=2, sort_keys=True) + "\n")
    return ident


@dataclass
class ServerState:
    url: str
    host: str
    port: int
    pid: int | None
    data_dir: str
    venv: str
    admin_email: str
    started_at: str | None = None
    ls_version: str | None = None
    # the process's identity, so a pid reused by an unrelated process is never signalled
    pid_create_time: float | None = None  # psutil's create_time() of the server process
    cmdline: list[str] | None = None  # the command it was started with

    @classmethod
    def load(cls, paths: Paths) -> "ServerState | None":
        if not paths.state.is_file():
            return None
        try:
            raw = json.loads(paths.state.read_text(encoding="utf-8"))
            return cls(**{k: raw.get(k) for k in cls.__dataclass_fields__})
        except (json.JSONDecodeError, TypeError) as exc:
            raise ServerError(f"{paths.state}: unreadable server state ({exc}); delete it and start the server again") from None

    def save(self, paths: Paths) -> None:
        atomic_write_text(paths.state, json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")


# -- secrets ---------------------------------------------------------------------------------
def write_secret(path: Path, value: str) -> None:
    """Write a secret file readable only by its owner (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    os.replace(tmp, path)


def read_secret(path: Path) -> str:
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ServerError(f"token file {path} does not exist; start the server once with "
                          f"`warvoices annotate server start --data-dir DIR` (it creates it), or set {TOKEN_ENV}") from None
    if not value:
        raise ServerError(f"token file {path} is empty; set {TOKEN_ENV} or restore the file")
    return value


def ensure_admin_secrets(paths: Paths) -> None:
    """Create the admin token and password once per data directory (kept, never printed)."""
    if not paths.token.exists():
        write_secret(paths.token, secrets.token_hex(20))
    if not paths.password.exists():
        write_secret(paths.password, secrets.token_urlsafe(18))


# -- the virtual environment -----------------------------------------------------------------
def ls_executable(venv: Path) -> Path:
    return Path(venv) / "bin" / "label-studio"


def installed_version(venv: Path) -> str | None:
    """The label-studio version installed in `venv`, from package metadata (never runs the server)."""
    py = Path(venv) / "bin" / "python"
    if not py.exists() or not ls_executable(venv).exists():
        return None
    out = subprocess.run([str(py), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or None if out.returncode == 0 else None


def setup_venv(venv: Path, python: str = "python3.11", version: str = LS_VERSION, echo=print) -> str:
    """Create `venv` with label-studio==version unless it is already there; returns what was done."""
    venv = Path(venv)
    have = installed_version(venv)
    if have == version:
        return f"label-studio {have} already installed in {venv}"
    if shutil.which(python) is None and not Path(python).exists():
        raise ServerError(f"{python} not found; install Python 3.11 or pass --python /path/to/python3.11")
    if not (venv / "bin" / "python").exists():
        echo(f"creating virtual environment {venv} with {python} …")
        res = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True)
        if res.returncode != 0:
            raise ServerError(f"`{python} -m venv {venv}` failed:\n{res.stderr.strip()}")
    echo(f"installing label-studio=={version} into {venv} (about 1 GB, one to two minutes) …")
    res = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                          "--quiet", f"label-studio=={version}"], capture_output=True, text=True)
    if res.returncode != 0:
        raise ServerError(f"pip could not install label-studio=={version} into {venv}:\n{res.stderr.strip()[-2000:]}")
    have = installed_version(venv)
    if have != version:
        raise ServerError(f"after installing, {venv} reports label-studio {have!r}, expected {version}")
    return f"installed label-studio {have} in {venv}"


# -- ports and processes ---------------------------------------------------------------------
def port_is_free(port: int, host: str = HOST) -> bool:
    """Nothing listens on `port`. SO_REUSEADDR, as every server sets it (Label Studio's too): without
    it the bind fails for about a minute after a server stopped (its connections in TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    # Label Studio's own check connects to "localhost"; a listener on another address also counts
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("localhost", port)) != 0


def free_port(host: str = HOST) -> int:
    """A port the kernel just handed out (bind to port 0), so it is very likely still free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not a server
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _cmdline_matches(recorded: list[str], actual: list[str]) -> bool:
    """The recorded command is the process's command line, or its tail (a script started through
    its shebang shows the interpreter first)."""
    if not recorded or len(actual) < len(recorded):
        return False
    tail = actual[len(actual) - len(recorded):]
    return tail[1:] == recorded[1:] and Path(tail[0]).name == Path(recorded[0]).name


def server_process(state: "ServerState"):
    """The recorded server's psutil.Process if that pid is still the process WarVoices started
    (same start time and command line, not a zombie); None otherwise, including for a state
    written without an identity (nothing can be verified, so nothing is signalled)."""
    import psutil

    if not state.pid or state.pid_create_time is None or not state.cmdline:
        return None
    try:
        proc = psutil.Process(state.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        if abs(proc.create_time() - state.pid_create_time) > 0.05:
            return None
        if not _cmdline_matches(list(state.cmdline), proc.cmdline()):
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    return proc


def _not_ours(state: "ServerState") -> str:
    return (f"pid {state.pid} is not the Label Studio server recorded for this data directory "
            "(it exited and the pid may now belong to another program"
            + ("; the state file has no process identity, written by an older version" if state.pid_create_time is None
               else "") + "), so it was not signalled")


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(inode)
    return inodes


def process_listens_on(pid: int, port: int) -> bool | None:
    """True if `pid` owns a socket listening on `port`; None where /proc cannot tell (not Linux)."""
    if not Path("/proc/net/tcp").exists():
        return None
    inodes = _listening_inodes(port)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


def health(url: str, timeout: float = 2.0) -> bool:
    import httpx

    try:
        r = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
        return r.status_code == 200 and r.json().get("status") == "UP"
    except (httpx.HTTPError, ValueError):
        return False


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # started with start_new_session: its pgid is its pid
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


# -- start / stop / status -------------------------------------------------------------------
def server_env(paths: Paths, admin_email: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           # plain USERNAME/PASSWORD/PORT/HOST would be read by Label Studio as fallbacks
           if k not in {"USERNAME", "PASSWORD", "USER_TOKEN", "PORT", "HOST"} and not k.startswith("LABEL_STUDIO_")}
    env.update(OFFLINE_ENV)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(paths.data_dir),
        "LABEL_STUDIO_USERNAME": admin_email,
        "LABEL_STUDIO_PASSWORD": read_secret(paths.password),
        "LABEL_STUDIO_USER_TOKEN": read_secret(paths.token),
        # Label Studio writes a few files under $HOME; keep them inside the data directory
        "HOME": str(paths.own / "home"),
    })
    return env


def start(data_dir: Path, port: int = DEFAULT_PORT, venv: Path | None = None, timeout: float = 180.0,
          admin_email: str = ADMIN_EMAIL, echo=print) -> ServerState:
    """Start Label Studio in the background and wait until it answers on exactly `port`.

    `port=0` picks a free port. Raises ServerError (with the log's tail) when it does not come up;
    a server that failed to come up is stopped again."""
    venv = Path(venv or default_venv())
    paths = Paths(Path(data_dir).resolve())
    exe = ls_executable(venv)
    if not exe.exists():
        raise ServerError(f"Label Studio is not installed in {venv}; run `warvoices annotate server setup` "
                          f"(or set {VENV_ENV} to the environment that has it)")
    old = ServerState.load(paths)
    if old and server_process(old) is not None:
        if health(old.url):
            echo(f"Label Studio is already running at {old.url} (pid {old.pid}, data {paths.data_dir})")
            return old
        raise ServerError(f"a server process (pid {old.pid}) for {paths.data_dir} is alive but not answering at "
                          f"{old.url}; stop it with `warvoices annotate server stop --data-dir {data_dir}`")
    if port == 0:
        port = free_port()
    if not port_is_free(port):
        raise ServerError(f"port {port} is already in use by another program; choose another with --port "
                          "(or --port 0 for any free port)")
    paths.own.mkdir(parents=True, exist_ok=True)
    (paths.own / "home").mkdir(exist_ok=True)
    first = not paths.database.exists()
    ensure_admin_secrets(paths)
    ensure_identity(paths, new_database=first)
    _private(paths)
    cmd = [str(exe), "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
           "--data-dir", str(paths.data_dir), "--enable-legacy-api-token"]
    with paths.log.open("ab") as log:
        log.write(f"\n--- warvoices: starting Label Studio on {HOST}:{port} at "
                  f"{datetime.now(timezone.utc).isoformat()} ---\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, cwd=paths.own, env=server_env(paths, admin_email), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_private_umask)
    url = f"http://{HOST}:{port}"
    state = ServerState(url=url, host=HOST, port=port, pid=proc.pid, data_dir=str(paths.data_dir), venv=str(venv),
                        admin_email=admin_email, started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        ls_version=None, cmdline=cmd, pid_create_time=_create_time(proc.pid))
    state.save(paths)
    if first:
        echo(f"first start on {paths.data_dir}: Label Studio creates its database (about 30 s) …")
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise ServerError(f"Label Studio exited with code {proc.returncode} while starting; last lines of "
                                  f"{paths.log}:\n{_tail(paths.log)}")
            if health(url, timeout=1.0):
                owns = process_listens_on(proc.pid, port)
                if owns is False:
                    raise ServerError(f"something answers on port {port}, but it is not the Label Studio just started "
                                      f"(it may have moved to another port); choose another --port. Log: {paths.log}")
                break
            if time.monotonic() > deadline:
                raise ServerError(f"Label Studio did not answer on {url} within {timeout:.0f} s; last lines of "
                                  f"{paths.log}:\n{_tail(paths.log)}")
            time.sleep(0.3)
    except BaseException:
        _kill_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)
            proc.wait(5)
        state.pid = None
        state.save(paths)
        raise
    state.ls_version = _server_version(url)
    state.save(paths)
    _private(paths)
    return state


def _create_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _private_umask() -> None:
    os.umask(0o077)


def _private(paths: Paths) -> None:
    """Data directory 0700 and database 0600 (it holds every user's API token); also for data
    directories created before the server ran with umask 077."""
    try:
        paths.data_dir.chmod(0o700)
        for p in paths.data_dir.glob("label_studio.sqlite3*"):
            p.chmod(0o600)
    except OSError:
        pass


def _server_version(url: str) -> str | None:
    import httpx

    try:
        return httpx.get(url + "/api/version", timeout=5).json().get("release")
    except (httpx.HTTPError, ValueError):
        return None


def stop(data_dir: Path, timeout: float = 15.0) -> str:
    paths = Paths(Path(data_dir).resolve())
    state = ServerState.load(paths)
    if state is None or not state.pid:
        return f"no server recorded as running for {paths.data_dir}"
    pid = state.pid
    if server_process(state) is None:
        how = _not_ours(state) if pid_alive(pid) else "was not running any more"
        state.pid = None
        state.save(paths)
        return f"server (pid {pid}) {how}; state cleared"
    _kill_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    how = "stopped"
    _reap(pid)
    if pid_alive(pid):
        _kill_group(pid, signal.SIGKILL)
        how = "killed (it did not stop within {:.0f} s of SIGTERM)".format(timeout)
        time.sleep(0.2)
        _reap(pid)
    # Label Studio's worker process outlives the main one by a moment, still listening: wait until
    # the whole process group is gone, so that a start right after this finds the port free
    while (_group_alive(pid) or _listening_inodes(state.port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _group_alive(pid):
        _kill_group(pid, signal.SIGKILL)
        time.sleep(0.2)
    state.pid = None
    state.save(paths)
    return f"Label Studio at {state.url} (pid {pid}) {how}"


def _group_alive(pgid: int) -> bool:
    """Any process left in the group (zombies aside) that the server was started as?"""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else []:
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) != pgid:  # fields: state, ppid, pgrp, ...
            continue
        if fields[0] != "Z":
            return True
        # a thread-group leader shows "Z" while its other threads still run (and hold the sockets)
        try:
            if len(os.listdir(Path(entry.path, "task"))) > 1:
                return True
        except OSError:
            continue
    return not os.path.isdir("/proc")


def _reap(pid: int) -> None:
    """Collect the exit status if the server is our own child (tests start and stop in-process)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def status(data_dir: Path) -> tuple[bool, str]:
    paths = Paths(Path(data_dir).resolve())
    state = ServerState.load(paths)
    if state is None:
        return False, (f"no Label Studio server has been started with data directory {paths.data_dir}; "
                       "start one with `warvoices annotate server start`")
    alive = server_process(state) is not None
    up = alive and health(state.url)
    lines = [f"data directory: {paths.data_dir}", f"url:            {state.url}",
             f"pid:            {state.pid if alive else '-'}",
             f"state:          {'running' if up else ('not answering' if alive else 'stopped')}",
             f"version:        {state.ls_version or '-'}", f"admin user:     {state.admin_email}",
             f"server id:      {(read_identity(paths) or {}).get('server_id', '-')} (names pulled annotations)",
             f"token file:     {paths.token} (or ${TOKEN_ENV})", f"log:            {paths.log}"]
    return up, "\n".join(lines)


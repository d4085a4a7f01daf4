"""A small, explicit client for the parts of the Label Studio REST API that WarVoices uses.

Why not the SDK's generated client: every failure here must become one clear sentence saying
what to do (server down, wrong token, timeout), never a traceback, and the token must never
appear in a message. The few endpoints used are plain JSON; httpx is already installed with the
SDK. The SDK's `LabelInterface` is still used to validate configs and predictions.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

import httpx

from warvoices.corpus.errors import WarVoicesError

from .ls_server import TOKEN_ENV, Paths, ServerState, ensure_identity, read_identity, read_secret

TIMEOUT_ENV = "WARVOICES_LS_TIMEOUT"
READ_ENV = "WARVOICES_LS_READ"  # how a pull reads annotations: auto (default), database or export
DEFAULT_TIMEOUT = 120.0  # a 10,000-task export takes several seconds; imports of big chunks too


class LSError(WarVoicesError):
    """Label Studio answered with an error; `status_code` is its HTTP status (None when there
    was no HTTP answer: unreachable, timed out, or an answer of the wrong form)."""

    def __init__(self, message: str = "", status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class LSNotFound(LSError):
    """Label Studio answered 404: the project, task or page does not exist (any more)."""


class LSUnavailable(LSError):
    """The server cannot be reached (not running, wrong URL)."""


class LSAuthError(LSError):
    """The server rejected the API token."""


class LSTimeout(LSError):
    """The server did not answer in time."""


def _timeout() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT)
    except ValueError:
        raise WarVoicesError(f"{TIMEOUT_ENV} must be a number of seconds") from None


class LSClient:
    def __init__(self, url: str, token: str, *, token_source: str = "the token", timeout: float | None = None,
                 data_dir: Path | None = None, server_id: str | None = None, external: bool = False):
        self.url = url.rstrip("/")
        self.server_id = server_id  # the identity annotation ids are built from (ls_server.ensure_identity)
        self.external = external  # True when --url named the server (WarVoices did not start it)
        self.token_source = token_source
        self.data_dir = data_dir
        self.timeout = timeout or _timeout()
        self._http = httpx.Client(base_url=self.url, headers={"Authorization": f"Token {token}"},
                                  timeout=self.timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "LSClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------------
    def _hint_start(self) -> str:
        if self.data_dir:
            return f"start it with `warvoices annotate server start --data-dir {self.data_dir}`"
        return "start it with `warvoices annotate server start`"

    def request(self, method: str, path: str, *, retries: int | None = None, stream: bool = False,
                **kw) -> httpx.Response:
        """The response of one API call (errors raised with what to do). With `stream` the body is
        not read yet: the caller iterates it and closes the response."""
        # reads are retried on connection trouble; writes are not (a rerun resumes them safely)
        if retries is None:
            retries = 2 if method == "GET" else 0
        for attempt in range(retries + 1):
            try:
                if stream:
                    resp = self._http.send(self._http.build_request(method, path, **kw), stream=True)
                else:
                    resp = self._http.request(method, path, **kw)
                break
            except httpx.ConnectError:
                if attempt < retries:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                if self.external:
                    raise LSUnavailable(f"cannot reach Label Studio at {self.url}: is the server running, and is "
                                        "the --url you gave right?") from None
                raise LSUnavailable(f"cannot reach Label Studio at {self.url}: is the server running? "
                                    f"Check with `warvoices annotate server status`, {self._hint_start()}") from None
            except httpx.TimeoutException:
                if attempt < retries:
                    continue
                raise LSTimeout(f"Label Studio at {self.url} did not answer {method} {path.split('?')[0]} within "
                                f"{self.timeout:.0f} s; the server may be overloaded. Rerun the command (it resumes "
                                f"where it stopped) or allow more time with {TIMEOUT_ENV}=SECONDS") from None
            except httpx.HTTPError as exc:
                raise LSUnavailable(f"talking to Label Studio at {self.url} failed ({type(exc).__name__}); "
                                    "check the URL and that the server is running") from None
        if stream and resp.status_code >= 400:
            resp.read()
            resp.close()
        if resp.status_code in (401, 403):
            raise LSAuthError(status_code=resp.status_code, message=f"Label Studio at {self.url} rejected the API token from {self.token_source} "
                              f"({resp.status_code}); set {TOKEN_ENV} to the admin token of this server or fix the "
                              "token file (for a data directory WarVoices created: warvoices/admin.token inside it)")
        if resp.status_code >= 400:
            error = LSNotFound if resp.status_code == 404 else LSError
            raise error(f"Label Studio at {self.url} answered {resp.status_code} to {method} {path.split('?')[0]}: "
                        f"{_detail(resp)}", status_code=resp.status_code)
        return resp

    def json(self, method: str, path: str, **kw) -> Any:
        resp = self.request(method, path, **kw)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise LSError(f"Label Studio at {self.url} sent a non-JSON answer to {method} {path}; "
                          "is this URL really a Label Studio server?") from None

    # -- identity --------------------------------------------------------------------------
    def whoami(self) -> dict:
        return self.json("GET", "/api/current-user/whoami")

    def version(self) -> str | None:
        return (self.json("GET", "/api/version") or {}).get("release")

    def users(self) -> list[dict]:
        data = self.json("GET", "/api/users/", params={"page_size": 10000})
        return data["results"] if isinstance(data, dict) and "results" in data else data

    # -- projects --------------------------------------------------------------------------
    def projects(self) -> list[dict]:
        out, page = [], 1
        while True:
            data = self.json("GET", "/api/projects/", params={"page": page, "page_size": 100,
                                                              "include": "id,title,description"})
            out.extend(data["results"])
            if not data.get("next"):
                return out
            page += 1

    def project(self, project_id: int) -> dict | None:
        try:
            return self.json("GET", f"/api/projects/{int(project_id)}/")
        except LSNotFound:
            return None

    def create_project(self, **fields) -> dict:
        return self.json("POST", "/api/projects/", json=fields)

    def update_project(self, project_id: int, **fields) -> dict:
        return self.json("PATCH", f"/api/projects/{int(project_id)}/", json=fields)

    def delete_project(self, project_id: int) -> None:
        self.request("DELETE", f"/api/projects/{int(project_id)}/")

    # -- tasks -----------------------------------------------------------------------------
    def iter_tasks(self, project_id: int, page_size: int = 1000) -> Iterator[dict]:
        """Every task of a project: only its id and data."""
        page = 1
        seen = 0
        while True:
            try:
                # include=id,data skips the per-task aggregates (3x faster on 4,000 tasks)
                data = self.json("GET", "/api/tasks/", params={"project": int(project_id), "page": page,
                                                               "page_size": page_size, "fields": "task_only",
                                                               "include": "id,data"})
            except LSNotFound:
                if page > 1:  # past the last page
                    return
                raise
            tasks = data.get("tasks", []) if isinstance(data, dict) else data
            yield from tasks
            seen += len(tasks)
            total = data.get("total") if isinstance(data, dict) else None
            if not tasks or (total is not None and seen >= total) or len(tasks) < page_size:
                return
            page += 1

    def import_tasks(self, project_id: int, tasks: list[dict]) -> list[int]:
        """Create tasks (one transaction on the server); returns their ids in input order."""
        data = self.json("POST", f"/api/projects/{int(project_id)}/import", params={"return_task_ids": "true"},
                         json=tasks)
        ids = data.get("task_ids")
        if ids is None or len(ids) != len(tasks):
            raise LSError(f"Label Studio imported {data.get('task_count')} of {len(tasks)} tasks into project "
                          f"{project_id} without returning their ids; rerun the push (it only adds what is missing)")
        return ids

    def export(self, project_id: int) -> list[dict]:
        """Every task of the project that has an annotation (skipped ones included), in JSON form."""
        data = self.json("GET", f"/api/projects/{int(project_id)}/export", params={"exportType": "JSON"})
        if not isinstance(data, list):
            raise LSError(f"export of project {project_id} is not a list of tasks; is the server Label Studio 1.23?")
        return data

    def iter_export(self, project_id: int) -> Iterator[dict]:
        """The tasks of `export`, one at a time, parsed while the answer arrives: the export is never
        held whole, neither as text nor as a list (a 10,000-task export is tens of MB)."""
        path = f"/api/projects/{int(project_id)}/export"
        resp = self.request("GET", path, params={"exportType": "JSON"}, stream=True)
        try:
            yield from iter_json_array(resp.iter_text(1 << 16), f"export of project {project_id}")
        except httpx.HTTPError as exc:
            raise LSUnavailable(f"the export of project {project_id} from {self.url} broke off "
                                f"({type(exc).__name__}); rerun the command") from None
        finally:
            resp.close()

    def database(self) -> Path | None:
        """The SQLite database of the server WarVoices started from `data_dir`, or None (a server
        named by --url, or no database file there): only then can a pull read it directly."""
        if self.external or self.data_dir is None:
            return None
        path = Path(self.data_dir) / "label_studio.sqlite3"
        return path if path.is_file() else None

    def read_mode(self) -> str:
        """'database' or 'export': how `iter_annotated_tasks` reads (see READ_ENV)."""
        want = (os.environ.get(READ_ENV) or "auto").strip().lower()
        if want not in ("auto", "database", "export"):
            raise WarVoicesError(f"{READ_ENV} must be auto, database or export, not {want!r}")
        if want == "export":
            return "export"
        if self.database() is None:
            if want == "database":
                raise WarVoicesError(f"{READ_ENV}=database, but {self.url} is not a server WarVoices started from a "
                                     "data directory with a SQLite database; unset it to read through the export")
            return "export"
        return "database"

    def iter_annotated_tasks(self, project_id: int) -> Iterator[dict]:
        """The tasks of `iter_export` (every task with an annotation, in the JSON export's form and
        with the fields a pull reads), read the fastest way this server allows.

        Label Studio 1.23's export serializes ~500 tasks/s, and its paginated task list with
        annotations is not much faster (and leaves out the prediction an annotator was shown), so
        for a server WarVoices started from a data directory the tasks are read from that server's
        own SQLite database: read-only, one short query (one snapshot), then one task at a time.
        Anything else (--url, a database of another shape, WARVOICES_LS_READ=export) goes through
        the export."""
        if self.read_mode() == "database":
            reader = DatabaseReader(self.database(), self)
            if reader.usable(project_id):
                yield from reader.iter_tasks(project_id)
                return
        yield from self.iter_export(project_id)

    # -- annotations (used by annotators' clients, tests and benchmarks) --------------------
    def create_annotation(self, task_id: int, result: list[dict], *, lead_time: float | None = None,
                          was_cancelled: bool = False) -> dict:
        body: dict[str, Any] = {"result": result, "was_cancelled": was_cancelled}
        if lead_time is not None:
            body["lead_time"] = lead_time
        return self.json("POST", f"/api/tasks/{int(task_id)}/annotations/", json=body)

    def invite_url(self) -> str:
        return self.json("GET", "/api/invite")["invite_url"]


class DatabaseReader:
    """The annotated tasks of one project straight from a Label Studio 1.23 SQLite database, in the
    form of the JSON export (same ids, data, results, times, prediction shown). Read-only, one
    query (a consistent snapshot while the server keeps writing), then turned into tasks one at a
    time."""

    NEEDED = {"task": {"id", "data", "project_id"},
              "task_completion": {"id", "task_id", "completed_by_id", "result", "was_cancelled", "created_at",
                                  "updated_at", "lead_time", "prediction"},
              "prediction": {"id", "task_id"},
              "project": {"id", "title"}}

    def __init__(self, path: Path, client: LSClient):
        self.path = Path(path)
        self.client = client
        self.why_not: str | None = None

    def _connect(self) -> sqlite3.Connection:
        try:
            return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error as exc:
            raise LSError(f"cannot open Label Studio's database {self.path} read-only ({exc}); "
                          f"set {READ_ENV}=export to read through the API") from None

    def usable(self, project_id: int) -> bool:
        """True when the database has the tables and columns read here and holds the project the
        server shows under this id (same title): then it is this server's database."""
        db = self._connect()
        try:
            for table, cols in self.NEEDED.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if not cols <= have:
                    self.why_not = f"table {table} lacks {', '.join(sorted(cols - have))}"
                    return False
            row = db.execute("SELECT title FROM project WHERE id = ?", (int(project_id),)).fetchone()
        except sqlite3.Error as exc:
            self.why_not = str(exc)
            return False
        finally:
            db.close()
        shown = self.client.project(project_id)
        if row is None or shown is None or row[0] != shown.get("title"):
            self.why_not = f"project {project_id} there is not the one {self.client.url} shows"
            return False
        return True

    _QUERY = """
        SELECT t.id, t.data,
               (SELECT group_concat(p.id) FROM prediction p WHERE p.task_id = t.id),
               c.id, c.completed_by_id, c.result, c.was_cancelled, c.created_at, c.updated_at, c.lead_time,
               c.prediction
        FROM task t JOIN task_completion c ON c.task_id = t.id
        WHERE t.project_id = ?
        ORDER BY t.id, c.id"""

    def iter_tasks(self, project_id: int) -> Iterator[dict]:
        db = self._connect()
        try:
            # One snapshot, and a short one: the rows (raw text, smaller than the export's JSON) are
            # fetched at once and the connection closed before any is parsed, because an open read
            # keeps Label Studio from committing (its writes give up after 5 s, failing a submit).
            rows = db.execute(self._QUERY, (int(project_id),)).fetchall()
        except sqlite3.Error as exc:
            raise LSError(f"reading project {project_id} from Label Studio's database {self.path} failed ({exc}); "
                          f"rerun the command, or set {READ_ENV}=export to read through the API") from None
        finally:
            db.close()
        task: dict | None = None
        rows.reverse()
        while rows:
            row = rows.pop()  # each row is dropped once it is turned into a task
            tid = row[0]
            if task is None or task["id"] != tid:
                if task is not None:
                    yield task
                task = {"id": tid, "data": self._json(row[1], project_id, tid, "data"),
                        "predictions": [int(x) for x in row[2].split(",")] if row[2] else [],
                        "annotations": []}
            task["annotations"].append({
                "id": row[3], "completed_by": row[4], "result": self._json(row[5], project_id, tid, "result"),
                "was_cancelled": None if row[6] is None else bool(row[6]),
                "created_at": _db_time(row[7]), "updated_at": _db_time(row[8]), "lead_time": row[9],
                "prediction": self._json(row[10], project_id, tid, "prediction")})
        if task is not None:
            yield task

    def _json(self, text, project_id: int, task_id: int, what: str):
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise LSError(f"project {project_id} task {task_id}: its {what} in Label Studio's database "
                          f"{self.path} is not valid JSON") from None


def _db_time(value):
    """Django's SQLite form of a UTC time ('2024-01-02 03:04:05.123456') in the export's form
    ('2024-01-02T03:04:05.123456Z')."""
    if not isinstance(value, str):
        return value
    value = value.replace(" ", "T", 1)
    return value if value.endswith("Z") or "+" in value[10:] else value + "Z"


def iter_json_array(chunks: Iterable[str], what: str) -> Iterator[Any]:
    """The elements of one JSON array that arrives as text chunks, each parsed as soon as it is
    complete; a body that is not a JSON array is an LSError naming `what`."""
    decoder = json.JSONDecoder()
    buf, pos, started, ended = "", 0, False, False
    for chunk in chunks:
        buf = buf[pos:] + chunk
        pos = 0
        while True:
            while pos < len(buf) and (buf[pos].isspace() or (started and buf[pos] == ",")):
                pos += 1
            if pos >= len(buf):
                break
            if not started:
                if buf[pos] != "[":
                    raise LSError(f"{what} is not a list of tasks; is the server Label Studio 1.23?")
                started, pos = True, pos + 1
                continue
            if ended:
                raise LSError(f"{what}: unexpected text after the list of tasks")
            if buf[pos] == "]":
                ended, pos = True, pos + 1
                continue
            try:
                item, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError:
                break  # incomplete: wait for the next chunk
            if end >= len(buf) and not isinstance(item, (dict, list, str)):
                break  # a number or literal may go on in the next chunk
            yield item
            pos = end
    if not ended:
        if buf[pos:].strip():
            try:
                decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if exc.pos < len(buf):   # (an error at the very end is a body cut short: below)
                    raise LSError(f"{what} is not valid JSON ({exc.msg} near character {exc.pos}); "
                                  "rerun the command") from None
        raise LSError(f"{what} ended before its list of tasks did; rerun the command")


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        text = re.sub(r"<[^>]+>", " ", resp.text)
        return " ".join(text.split())[:300] or "(empty answer)"
    if isinstance(body, dict):
        parts = [str(body.get("detail") or "")]
        if body.get("validation_errors"):
            parts.append(str(body["validation_errors"])[:600])
        return " ".join(p for p in parts if p) or str(body)[:600]
    return str(body)[:600]


def connect(data_dir: Path, url: str | None = None, token_file: Path | None = None,
            timeout: float | None = None) -> LSClient:
    """A client for the server of `data_dir` (URL from its state file unless `url` is given).

    The token comes from $WARVOICES_LS_TOKEN, else `token_file`, else the data directory's
    warvoices/admin.token. It is never printed.

    The server's identity comes from the data directory (warvoices/server-id.json, written at the
    server's first start). For a server WarVoices did not start (--url), the data directory keeps
    WarVoices' record of that server: its identity is created there on first use, so always use the
    same --data-dir with the same --url."""
    paths = Paths(Path(data_dir).resolve())
    external = url is not None
    if url is None:
        state = ServerState.load(paths)
        if state is None:
            raise LSUnavailable(f"no Label Studio server is recorded for data directory {paths.data_dir}; "
                                f"start one with `warvoices annotate server start --data-dir {paths.data_dir}`, "
                                "or pass --url for a server started elsewhere")
        url = state.url
    if os.environ.get(TOKEN_ENV):
        token, source = os.environ[TOKEN_ENV].strip(), f"${TOKEN_ENV}"
    else:
        path = Path(token_file) if token_file else paths.token
        token, source = read_secret(path), f"token file {path}"
    ident = read_identity(paths) or ensure_identity(paths)
    return LSClient(url, token, token_source=source, timeout=timeout, data_dir=paths.data_dir,
                    server_id=ident["server_id"], external=external)

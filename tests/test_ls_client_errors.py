"""Server down or silent: one clear message saying what to do, no traceback, no token."""
from __future__ import annotations

import socket
import threading

import pytest

from warvoices.annotation import ls_server
from warvoices.annotation.ls_client import LSClient, LSTimeout, LSUnavailable
from warvoices.corpus.cli import main

SECRET = "0123456789abcdef-not-a-real-token"


def test_server_down_is_a_clear_error_without_the_token():
    port = ls_server.free_port()  # nothing listens there
    client = LSClient(f"http://127.0.0.1:{port}", SECRET, timeout=2)
    with pytest.raises(LSUnavailable) as info:
        client.projects()
    msg = str(info.value)
    assert "cannot reach Label Studio" in msg and "annotate server start" in msg
    assert SECRET not in msg


def test_silent_server_times_out_with_advice():
    # A socket that accepts and never answers: a real Label Studio cannot be made to hang on demand.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    conns = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    th = threading.Thread(target=accept, daemon=True)
    th.start()
    try:
        client = LSClient(f"http://127.0.0.1:{srv.getsockname()[1]}", SECRET, timeout=0.5)
        with pytest.raises(LSTimeout) as info:
            client.import_tasks(1, [{"data": {}}])
        assert "WARVOICES_LS_TIMEOUT" in str(info.value) and "resumes" in str(info.value)
        assert SECRET not in str(info.value)
    finally:
        stop.set()
        th.join()
        for c in conns:
            c.close()
        srv.close()


def test_cli_reports_server_down_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARVOICES_LS_TOKEN", SECRET)
    port = ls_server.free_port()
    store = tmp_path / "store"
    rc = main(["annotate", "push", "--batch", "b1", "--articles", "x", "--annotators", "ann-a",
               "--store", str(store), "--data-dir", str(tmp_path / "ls"), "--url", f"http://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "cannot reach Label Studio" in err and "Traceback" not in err and SECRET not in err
    assert not store.exists()  # nothing written
    # with --url the server is not the data directory's: no advice to start a server there
    assert "--url" in err and "server start --data-dir" not in err


def test_cli_without_a_recorded_server_says_start_one(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("WARVOICES_LS_TOKEN", raising=False)
    rc = main(["annotate", "pull", "--batch", "b1", "--store", str(tmp_path / "s"), "--data-dir", str(tmp_path / "ls")])
    err = capsys.readouterr().err
    assert rc == 2 and "annotate server start" in err and "Traceback" not in err


# -- typed errors: the client classifies answers by their HTTP status, never by message text -----
# A tiny stdlib HTTP server stands in for Label Studio (a real one cannot be made to answer 500 on demand).
@pytest.fixture
def answering():
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answers: dict[str, tuple[int, dict]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            code, body = answers.get(self.path.split("?")[0], (404, {"detail": "Not found."}))
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", answers
    srv.shutdown()
    srv.server_close()


def test_errors_carry_the_status_code(answering):
    from warvoices.annotation.ls_client import LSAuthError, LSError, LSNotFound

    url, answers = answering
    client = LSClient(url, SECRET, timeout=5)
    assert client.project(7) is None  # 404: no such project
    with pytest.raises(LSNotFound) as info:
        client.json("GET", "/api/projects/7/")
    assert info.value.status_code == 404
    # a server error whose text happens to mention " 404 " is still a server error, not "not found"
    answers["/api/projects/8/"] = (500, {"detail": "the proxy saw a 404 from upstream"})
    with pytest.raises(LSError) as info:
        client.project(8)
    assert info.value.status_code == 500 and not isinstance(info.value, LSNotFound)
    answers["/api/projects/9/"] = (403, {"detail": "Forbidden"})
    with pytest.raises(LSAuthError) as info:
        client.project(9)
    assert info.value.status_code == 403 and SECRET not in str(info.value)
    client.close()


def test_no_assert_is_used_as_a_runtime_check():
    # `python -O` strips asserts: a check the program relies on must be an `if ... raise`
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    found = []
    for folder in ("corpus", "annotation", "baselines"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assert):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []

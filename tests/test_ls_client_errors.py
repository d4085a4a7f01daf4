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

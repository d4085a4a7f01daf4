"""The server commands against a real Label Studio: 127.0.0.1 only, the asked port, clean stop."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from warvoices.annotation import ls_server
from warvoices.annotation.ls_client import LSAuthError, LSClient, LSUnavailable
from warvoices.corpus.cli import main

from .conftest import VENV


def cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warvoices.corpus.cli", "annotate", *args], capture_output=True,
                          text=True, env={**os.environ, ls_server.VENV_ENV: str(VENV), **(env or {})}, timeout=300)


def listening_addresses(port: int) -> set[str]:
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                out.add(local.rsplit(":", 1)[0])
    return out


def test_start_status_stop_through_the_cli(ls_template, tmp_path):
    data = tmp_path / "ls"
    shutil.copytree(ls_template, data)
    port = ls_server.free_port()
    try:
        res = cli("server", "start", "--data-dir", str(data), "--port", str(port))
        assert res.returncode == 0, res.stderr
        assert f"http://127.0.0.1:{port}" in res.stdout
        token = (data / "warvoices" / "admin.token").read_text().strip()
        assert token not in res.stdout + res.stderr
        # bound to the loopback address only (0100007F is 127.0.0.1 in /proc's notation)
        if os.path.exists("/proc/net/tcp"):
            assert listening_addresses(port) == {"0100007F"}
        res = cli("server", "status", "--data-dir", str(data))
        assert res.returncode == 0 and "running" in res.stdout and token not in res.stdout
        res = cli("server", "start", "--data-dir", str(data), "--port", str(port))
        assert res.returncode == 0 and "already running" in res.stdout
        pid = ls_server.ServerState.load(ls_server.Paths(data.resolve())).pid
    finally:
        res = cli("server", "stop", "--data-dir", str(data))
    assert res.returncode == 0 and "stopped" in res.stdout
    assert not ls_server.pid_alive(pid)
    res = cli("server", "status", "--data-dir", str(data))
    assert res.returncode == 3 and "stopped" in res.stdout
    # restart at once on the same port (it used to fail for about a minute with "port in use")
    try:
        res = cli("server", "start", "--data-dir", str(data), "--port", str(port))
        assert res.returncode == 0, res.stderr
        assert f"http://127.0.0.1:{port}" in res.stdout
    finally:
        res = cli("server", "stop", "--data-dir", str(data))
    assert res.returncode == 0 and "stopped" in res.stdout
    db = data / "label_studio.sqlite3"
    assert oct(db.stat().st_mode & 0o777) == oct(0o600)  # it holds every user's API token


def test_busy_port_is_an_error_not_a_silent_move(ls_template, tmp_path):
    data = tmp_path / "ls"
    shutil.copytree(ls_template, data)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = cli("server", "start", "--data-dir", str(data), "--port", str(port))
    assert res.returncode == 2
    assert f"port {port} is already in use" in res.stderr and "Traceback" not in res.stderr
    state = ls_server.ServerState.load(ls_server.Paths(data.resolve()))  # the template's, untouched
    assert state.pid is None and state.port != port


def test_wrong_token_and_stopped_server_give_clear_messages(server, corpus, monkeypatch, capsys):
    bad = "wrong-token-0000000000"
    with pytest.raises(LSAuthError) as info:
        LSClient(server.url, bad).projects()
    assert "rejected the API token" in str(info.value) and bad not in str(info.value)

    monkeypatch.setenv("WARVOICES_LS_TOKEN", bad)
    rc = main(["annotate", "push", "--batch", "b1", "--articles", corpus.articles[0], "--annotators", "ann-a",
               "--store", str(corpus.store.root), "--archive", str(corpus.archive), "--data-dir", str(server.data_dir),
               "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "rejected the API token" in err and "WARVOICES_LS_TOKEN" in err
    assert "Traceback" not in err and bad not in err
    assert not (corpus.store.root / "batches").exists()

    monkeypatch.delenv("WARVOICES_LS_TOKEN")
    ls_server.stop(server.data_dir)
    with pytest.raises(LSUnavailable, match="is the server running"):
        server.admin().projects()

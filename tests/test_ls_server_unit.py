"""Server helpers that need no Label Studio: ports, socket ownership, secrets, state, errors."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time

import psutil
import pytest

from warvoices.annotation import ls_server
from warvoices.annotation.ls_server import Paths, ServerError, ServerState


def _listener() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_a_port_we_listen_on_is_not_free_and_free_port_is():
    with _listener() as s:
        port = s.getsockname()[1]
        assert not ls_server.port_is_free(port)
    fresh = ls_server.free_port()
    assert ls_server.port_is_free(fresh)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="socket ownership is read from /proc (Linux)")
def test_process_listens_on_tells_our_socket_from_another_port():
    with _listener() as s:
        port = s.getsockname()[1]
        assert ls_server.process_listens_on(os.getpid(), port) is True
        assert ls_server.process_listens_on(os.getpid(), ls_server.free_port()) is False


def test_secrets_are_written_owner_only_and_never_overwritten(tmp_path):
    paths = Paths(tmp_path)
    ls_server.ensure_admin_secrets(paths)
    token = paths.token.read_text()
    for p in (paths.token, paths.password):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    ls_server.ensure_admin_secrets(paths)
    assert paths.token.read_text() == token
    assert len(ls_server.read_secret(paths.token)) == 40


def test_missing_token_file_says_what_to_do(tmp_path):
    with pytest.raises(ServerError, match="WARVOICES_LS_TOKEN"):
        ls_server.read_secret(tmp_path / "nope.token")


def test_state_round_trip(tmp_path):
    paths = Paths(tmp_path)
    st = ServerState(url="http://127.0.0.1:9", host="127.0.0.1", port=9, pid=None, data_dir=str(tmp_path),
                     venv="/v", admin_email="a@b", started_at=None, ls_version="1.23.2")
    st.save(paths)
    assert ServerState.load(paths) == st


def test_start_without_the_server_venv_says_run_setup(tmp_path):
    with pytest.raises(ServerError, match="annotate server setup"):
        ls_server.start(tmp_path / "data", port=0, venv=tmp_path / "no-venv")


def test_status_and_stop_without_a_server(tmp_path):
    up, text = ls_server.status(tmp_path)
    assert not up and "annotate server start" in text
    assert "no server" in ls_server.stop(tmp_path)


def test_server_env_keeps_secrets_out_of_the_command_line_and_stays_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("USERNAME", "someone-else")  # Label Studio would read a plain USERNAME as its admin
    paths = Paths(tmp_path)
    ls_server.ensure_admin_secrets(paths)
    env = ls_server.server_env(paths, "admin@warvoices.local")
    assert "USERNAME" not in env
    assert env["LABEL_STUDIO_USER_TOKEN"] == ls_server.read_secret(paths.token)
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert env["LABEL_STUDIO_SENTRY_DSN"] == "" and env["LABEL_STUDIO_COLLECT_ANALYTICS"] == "false"


def test_a_port_whose_server_just_stopped_is_free_again():
    """After a server closes an accepted connection first, its port stays in TIME_WAIT for about a
    minute; a bind without SO_REUSEADDR fails then, which made `server start` right after `server
    stop` report a false "port in use". The listener sets SO_REUSEADDR as Label Studio's server does
    (Python's HTTPServer, allow_reuse_address); Linux reuses such a port only if both sides set it."""
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen()
    port = lst.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = lst.accept()
    conn.close()  # the server side closes first: its end goes to TIME_WAIT
    client.recv(1)
    client.close()
    lst.close()
    with socket.socket() as plain:
        try:
            plain.bind(("127.0.0.1", port))
            timewait = False
        except OSError:
            timewait = True
    if not timewait:
        pytest.skip("this kernel let the port go at once; nothing to show")
    assert ls_server.port_is_free(port)


def test_the_identity_is_kept_and_renewed_with_a_new_database(tmp_path):
    paths = Paths(tmp_path)
    first = ls_server.ensure_identity(paths)
    assert ls_server.ensure_identity(paths) == first == ls_server.read_identity(paths)
    renewed = ls_server.ensure_identity(paths, new_database=True)
    assert renewed["server_id"] != first["server_id"]
    assert len(ls_server.short_server_id(renewed["server_id"])) == 12
    paths.identity.write_text("{not json")
    with pytest.raises(ServerError, match="server-id.json"):
        ls_server.read_identity(paths)


# -- process identity: a recorded pid is signalled only if it is still the server we started -------
@pytest.fixture
def stand_in():
    """An unrelated process (not Label Studio) that holds a pid a stale state file records."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)


def _stale_state(tmp_path, proc, **identity) -> Paths:
    paths = Paths(tmp_path)
    ServerState(url="http://127.0.0.1:9", host="127.0.0.1", port=9, pid=proc.pid, data_dir=str(tmp_path),
                venv="/v", admin_email="a@b", **identity).save(paths)
    return paths


@pytest.mark.parametrize("identity", [
    {},  # a state without identity (older version): nothing can be verified
    {"pid_create_time": 1.0, "cmdline": ["/v/bin/label-studio", "start"]},  # the pid was reused
    {"pid_create_time": None, "cmdline": None},
], ids=["no-identity", "other-process", "none"])
def test_stop_and_status_never_signal_a_process_that_reused_the_pid(tmp_path, stand_in, identity):
    paths = _stale_state(tmp_path, stand_in, **identity)
    up, text = ls_server.status(tmp_path)
    assert not up and "state:          stopped" in text
    msg = ls_server.stop(tmp_path, timeout=2)
    assert "not signalled" in msg and str(stand_in.pid) in msg
    time.sleep(0.2)
    assert stand_in.poll() is None  # still running: it was not SIGTERMed
    assert ServerState.load(paths).pid is None


def test_same_pid_but_another_start_time_is_not_ours(tmp_path, stand_in):
    real = psutil.Process(stand_in.pid)
    _stale_state(tmp_path, stand_in, pid_create_time=real.create_time() - 5, cmdline=real.cmdline())
    assert "not signalled" in ls_server.stop(tmp_path, timeout=2)
    assert stand_in.poll() is None
    # same start time, another command line: not ours either
    _stale_state(tmp_path, stand_in, pid_create_time=real.create_time(), cmdline=["/v/bin/label-studio", "start"])
    assert "not signalled" in ls_server.stop(tmp_path, timeout=2)
    assert stand_in.poll() is None


def test_stop_signals_the_recorded_process_when_its_identity_matches(tmp_path, stand_in):
    real = psutil.Process(stand_in.pid)
    _stale_state(tmp_path, stand_in, pid_create_time=real.create_time(), cmdline=real.cmdline())
    assert ls_server.server_process(ServerState.load(Paths(tmp_path))) is not None
    msg = ls_server.stop(tmp_path, timeout=5)
    assert "stopped" in msg
    assert stand_in.wait(5) is not None


def test_start_treats_a_stale_pid_as_no_server(tmp_path, stand_in):
    # a fake "label-studio" that exits at once: start gets past the stale state (old code raised
    # "alive but not answering" about the stand-in) and reports the real failure, the stand-in untouched
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    exe = venv / "bin" / "label-studio"
    exe.write_text("#!/bin/sh\nexit 3\n")
    exe.chmod(0o755)
    data = tmp_path / "data"
    _stale_state(data, stand_in)
    with pytest.raises(ServerError, match="exited with code 3"):
        ls_server.start(data, port=0, venv=venv, timeout=20)
    assert stand_in.poll() is None

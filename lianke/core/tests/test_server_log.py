"""The server log and ``lianke serve``: routine refusals are one line, server errors keep their
traceback; gunicorn's control socket lives in the data directory, not at a shared path."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time

import pytest

from lianke.core.management.commands.serve import gunicorn_config


def request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def as_printed(record: logging.LogRecord) -> str:
    """The record as the console handler prints it (default format: message, then traceback)."""
    return logging.Formatter().format(record)


@pytest.mark.django_db
def test_a_refused_request_is_logged_as_one_line_without_a_traceback(org, client_for, caplog):
    # given a user without any role, and a rep
    nobody, rep = client_for(org.nobody), client_for(org.rep_js)
    # when the first opens the account list (403) and the rep an account that does not exist (404)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert nobody.get("/customers/account/").status_code == 403
        assert rep.get("/customers/account/999999/").status_code == 404
    # then each is one warning line naming the path, without a traceback
    [forbidden, missing] = request_records(caplog)
    assert as_printed(forbidden) == "Forbidden (Permission denied): /customers/account/"
    assert as_printed(missing) == "Not Found: /customers/account/999999/"
    assert (forbidden.levelname, missing.levelname) == ("WARNING", "WARNING")


@pytest.mark.django_db
def test_a_server_error_keeps_its_traceback(org, client_for, caplog, monkeypatch):
    # given a search that fails inside the server
    def broken(*args, **kwargs):
        raise RuntimeError("the search index is gone")

    monkeypatch.setattr("lianke.core.views.misc.global_search_results", broken)
    client = client_for(org.rep_js)
    client.raise_request_exception = False
    # when a user searches
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/search/?q=精工").status_code == 500
    # then the error is logged with its traceback
    [record] = request_records(caplog)
    printed = as_printed(record)
    assert record.levelname == "ERROR"
    assert "Traceback (most recent call last)" in printed
    assert "RuntimeError: the search index is gone" in printed


# ---------------------------------------------------------------------------------- gunicorn
def test_the_control_socket_lives_in_the_data_directory(settings, tmp_path):
    # given two installations with their own data directories
    configs = []
    for name in ("one", "two"):
        settings.DATA_DIR = tmp_path / name
        configs.append(gunicorn_config(host="127.0.0.1", port=8100, workers=1, threads=1))
    # then each has its control socket in its own data directory
    assert [c["control_socket"] for c in configs] == [
        str(tmp_path / "one" / "gunicorn.ctl"),
        str(tmp_path / "two" / "gunicorn.ctl"),
    ]
    # and gunicorn accepts the settings as given
    from gunicorn.config import Config

    cfg = Config()
    for key, value in configs[0].items():
        cfg.set(key, value)
    assert (cfg.control_socket, cfg.control_socket_disable) == (str(tmp_path / "one" / "gunicorn.ctl"), False)


def test_the_control_socket_is_off_where_its_path_would_be_too_long(settings, tmp_path):
    # given a data directory deeper than a Unix socket path may be
    settings.DATA_DIR = tmp_path / ("x" * 120)
    # when the configuration is built, then there is no control socket
    config = gunicorn_config(host="127.0.0.1", port=8100, workers=1, threads=1)
    assert config["control_socket_disable"] is True
    assert "control_socket" not in config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lianke_serve_puts_its_control_socket_in_the_data_directory_not_the_home(tmp_path):
    # given a data directory and a home directory of their own
    data, home = tmp_path / "data", tmp_path / "home"
    data.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "DATABASE_URL")}
    env.update(HOME=str(home), LIANKE_DATA_DIR=str(data), LIANKE_DEBUG="0")
    port = _free_port()
    # when `lianke serve` starts
    server = subprocess.Popen(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "lianke",
            "serve",
            "--no-collectstatic",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        socket_path = data / "gunicorn.ctl"
        deadline = time.monotonic() + 30
        while not socket_path.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.2)
        # then its control socket is in the data directory, and nothing is in the home directory
        assert socket_path.is_socket(), server.stderr.read().decode() if server.poll() is not None else ""
        assert not (home / ".gunicorn").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)

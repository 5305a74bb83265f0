"""``pressup serve`` and its commands: health and readiness, settings from the environment,
JSON logs, ``pressup db upgrade|current``, ``pressup accounts add-admin``, and a real server
with two uvicorn workers on PostgreSQL (a sign-in made on one worker holds on the other)."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pressup.cli import app as cli
from pressup.clinic.app import create_clinic_app
from pressup.clinic.logs import JsonFormatter
from pressup.clinic.settings import ClinicSettings
from pressup.sessions.clinic import schema_state
from pressup.storage import downgrade
from support.clinic import build_world, settings_for
from support.pg import fresh_database

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_health_and_readiness(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    app = create_clinic_app(settings_for(url))
    c = TestClient(app)
    assert c.get("/healthz").json() == {"ok": True}
    ready = c.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "schema": "0005"}
    app.state.store.close()
    downgrade(url, "0003")
    stale = c.get("/readyz")
    assert stale.status_code == 503
    assert stale.json()["reason"] == (
        "schema revision: expected 0005, got 0003; run pressup db upgrade"
    )
    gone = TestClient(create_clinic_app(settings_for(url), store=app.state.store))
    gone.app.state.clinic_settings = settings_for("postgresql+psycopg://u@127.0.0.1:1/none")
    down = gone.get("/readyz")
    assert down.status_code == 503 and down.json()["reason"].startswith("database: ")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSUP_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("PRESSUP_PUBLIC_ORIGIN", "https://clinic.example.org/")
    monkeypatch.setenv("PRESSUP_COOKIE_SECURE", "0")
    monkeypatch.setenv("PRESSUP_LOGIN_MAX_FAILURES", "7")
    s = ClinicSettings()  # type: ignore[call-arg]
    assert (s.database_url, s.public_origin, s.cookie_secure, s.login_max_failures) == (
        "sqlite:///x.db",
        "https://clinic.example.org",
        False,
        7,
    )
    monkeypatch.setenv("PRESSUP_PUBLIC_ORIGIN", "clinic.example.org")
    with pytest.raises(ValueError, match="expected an origin such as"):
        ClinicSettings()  # type: ignore[call-arg]
    monkeypatch.delenv("PRESSUP_DATABASE_URL")
    monkeypatch.delenv("PRESSUP_PUBLIC_ORIGIN")
    with pytest.raises(ValueError, match="database_url"):
        ClinicSettings()  # type: ignore[call-arg]


def test_logs_are_json_lines_with_the_extra_fields() -> None:
    record = logging.LogRecord("pressup.clinic", logging.INFO, __file__, 1, "request", (), None)
    record.status = 200
    record.path = "/me"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "request" and line["status"] == 200 and line["path"] == "/me"
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_every_request_is_logged_as_json(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    w = build_world(f"sqlite:///{tmp_path / 'l.db'}")
    c, _ = w.client("patient_a")
    with caplog.at_level(logging.INFO, logger="pressup.clinic"):
        c.get("/me", headers={"x-request-id": "abc123"})
    rec = next(r for r in caplog.records if getattr(r, "request_id", "") == "abc123")
    line = json.loads(JsonFormatter().format(rec))
    assert (line["path"], line["status"], line["account_id"]) == (
        "/me",
        200,
        w.accounts["patient_a"].id,
    )
    w.store.close()


def test_each_request_is_logged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker's logging (uvicorn's dictConfig, then :func:`configure` when the app is made)
    leaves uvicorn's request lines nowhere: the clinic's JSON request log is the only one."""
    import logging.config

    from pressup.clinic.logs import configure, uvicorn_log_config

    names = ("pressup", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {n: logging.getLogger(n) for n in names}
    before = {n: (lg.handlers[:], lg.level, lg.propagate) for n, lg in saved.items()}
    try:
        logging.config.dictConfig(uvicorn_log_config("INFO"))
        configure("INFO")
        access = logging.getLogger("uvicorn.access")
        assert not access.hasHandlers()  # uvicorn writes no request line when this is False
        w = build_world(f"sqlite:///{tmp_path / 'once.db'}")
        c, _ = w.client("patient_a")
        capsys.readouterr()
        c.get("/me", headers={"x-request-id": "once1"})
        # what uvicorn would write for it, were its access logger given a handler
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/me", "1.1", 200)
        lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
        w.store.close()
    finally:
        for n, (handlers, level, propagate) in before.items():
            saved[n].handlers, saved[n].propagate = handlers, propagate
            saved[n].setLevel(level)
    mine = [x for x in lines if "/me" in json.dumps(x)]
    assert len(mine) == 1 and mine[0]["logger"].startswith("pressup"), mine


def test_db_upgrade_current_and_add_admin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    r = runner.invoke(cli, ["db", "current", "--database", url])
    assert r.exit_code == 1 and "revision None" in r.output
    r = runner.invoke(cli, ["db", "upgrade", "--database", url])
    assert r.exit_code == 0 and "revision 0005" in r.output
    assert schema_state(url) == ("0005", "0005")
    env = {"PRESSUP_ADMIN_PASSWORD": "short"}
    r = runner.invoke(cli, ["accounts", "add-admin", "boss", "--database", url], env=env)
    assert r.exit_code == 2 and "at least" in r.output
    env = {
        "PRESSUP_ADMIN_PASSWORD": "a good long password",
        "PRESSUP_ARGON2_MEMORY_KIB": "1024",
        "PRESSUP_ARGON2_TIME_COST": "1",
    }
    r = runner.invoke(cli, ["accounts", "add-admin", "boss", "--database", url], env=env)
    assert r.exit_code == 0, r.output
    app = create_clinic_app(settings_for(url))
    c = TestClient(app)
    token = _CSRF.search(c.get("/login").text)
    assert token is not None
    r2 = c.post(
        "/login",
        data={"username": "boss", "password": "a good long password", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert r2.status_code == 303 and r2.headers["location"] == "/admin"
    app.state.store.close()


def test_serve_without_a_database_says_what_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSUP_DATABASE_URL", raising=False)
    r = CliRunner().invoke(cli, ["serve"])
    assert r.exit_code == 2 and "expected --database URL or PRESSUP_DATABASE_URL" in r.output


@pytest.mark.parametrize(("host", "answered"), [("10.1.2.3", True), ("0.0.0.0", False)])
def test_serve_s_workers_answer_to_the_bind_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host: str, answered: bool
) -> None:
    import uvicorn

    for name, value in (
        ("PRESSUP_DATABASE_URL", "sqlite://"),
        ("PRESSUP_BIND_HOST", ""),
        ("PRESSUP_MIGRATE_ON_START", "1"),
    ):
        monkeypatch.setenv(name, value)  # put back after the test (serve sets them)
    monkeypatch.delenv("PRESSUP_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("PRESSUP_PUBLIC_ORIGIN", raising=False)
    seen: dict[str, Any] = {}

    def run(app: str, **kw: Any) -> None:  # a worker: its settings come from the environment
        seen.update(kw, hosts=ClinicSettings().host_names())  # type: ignore[call-arg]

    monkeypatch.setattr(uvicorn, "run", run)
    url = f"sqlite:///{tmp_path / 'b.db'}"
    r = CliRunner().invoke(cli, ["serve", "--database", url, "--no-migrate", "--host", host])
    assert r.exit_code == 0, r.output
    assert seen["host"] == host and seen["access_log"] is False
    assert {"127.0.0.1", "localhost", "::1"} <= seen["hosts"]
    assert (host in seen["hosts"]) is answered


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(base: str, proc: subprocess.Popen[Any], seconds: float = 120.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"pressup serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"pressup serve: expected /readyz 200 within {seconds} s, got none")


@pytest.mark.postgres
def test_two_workers_share_sign_ins_and_limits(request: pytest.FixtureRequest) -> None:
    url = fresh_database(request.getfixturevalue("postgres_server"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PRESSUP_PUBLIC_ORIGIN": base,
        "PRESSUP_COOKIE_SECURE": "0",
        "PRESSUP_ARGON2_MEMORY_KIB": "1024",
        "PRESSUP_ARGON2_TIME_COST": "1",
        "PRESSUP_ADMIN_PASSWORD": "a good long password",
        "PRESSUP_LOGIN_MAX_FAILURES": "2",
        "PRESSUP_POSE_ASSETS": "",
    }
    pressup = [sys.executable, "-c", "from pressup.cli import main; main()"]
    done = subprocess.run(
        [*pressup, "db", "upgrade", "--database", url], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [*pressup, "accounts", "add-admin", "boss", "--database", url],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(
        [*pressup, "serve", "--database", url, "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_ready(base, proc)
        for _ in range(40):  # new connections: the kernel spreads them over both workers
            with httpx.Client(base_url=base, follow_redirects=True) as c:
                r = c.get("/login")
                token = _CSRF.search(r.text)
                assert token is not None
                r = c.post(
                    "/login",
                    data={
                        "username": "boss",
                        "password": "a good long password",
                        "csrf_token": token.group(1),
                    },
                )
                assert r.status_code == 200 and "Accounts" in r.text
        with httpx.Client(base_url=base, follow_redirects=True) as c:
            for password in ("wrong", "wrong again", "a good long password"):
                token = _CSRF.search(c.get("/login").text)
                assert token is not None
                last = c.post(
                    "/login",
                    data={"username": "boss", "password": password, "csrf_token": token.group(1)},
                )
            assert last.status_code == 429  # locked, whichever worker answered
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    served = {
        line["pid"]
        for line in lines
        if line.get("message") == "request" and line["path"] == "/admin"
    }
    assert len(served) == 2, f"expected sign-ins served by 2 worker processes, got {err[-3000:]}"

"""``pressup coach`` keeps a stable port per database (a page reopened after a crash keeps its
origin and can resume), and falls back to a free port, saying so, when that one is taken."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pressup.errors import PressupError
from pressup.web.ports import listen, port_file, remembered_port


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


def test_the_port_is_remembered_beside_the_database_and_used_again(tmp_path: Path) -> None:
    url = _url(tmp_path)
    assert port_file(url) == tmp_path / "coach.db.port"
    sock, note = listen("127.0.0.1", None, url)
    first = sock.getsockname()[1]
    sock.close()  # the coach crashed
    assert note is None and remembered_port(url) == first
    again, note = listen("127.0.0.1", None, url)
    try:
        assert again.getsockname()[1] == first and note is None
    finally:
        again.close()


def test_a_taken_port_falls_back_to_a_free_one_and_says_so(tmp_path: Path) -> None:
    url = _url(tmp_path)
    sock, _ = listen("127.0.0.1", None, url)
    taken = sock.getsockname()[1]
    sock.listen()  # still in use by another program
    try:
        other, note = listen("127.0.0.1", None, url)
        try:
            new = other.getsockname()[1]
            assert new != taken
            assert note is not None and str(taken) in note and str(new) in note
            assert "cannot resume" in note
            assert remembered_port(url) == new
        finally:
            other.close()
    finally:
        sock.close()


def test_an_explicit_port_is_used_as_given_and_not_remembered(tmp_path: Path) -> None:
    url = _url(tmp_path)
    sock, note = listen("127.0.0.1", 0, url)
    sock.close()
    assert note is None and not port_file(url).exists()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        with pytest.raises(
            PressupError, match=f"cannot listen on 127.0.0.1:{busy.getsockname()[1]}"
        ):
            listen("127.0.0.1", busy.getsockname()[1], url)
    finally:
        busy.close()


def test_a_database_that_is_not_a_file_remembers_its_port_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    where = port_file("postgresql://u:p@db/pressup")
    assert where.parent == tmp_path / "pressup" / "ports"
    assert port_file("sqlite://") != where

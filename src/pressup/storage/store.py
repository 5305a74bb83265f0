"""The session store: one transaction per call, SQLite by default, PostgreSQL by URL.

Units: ``t_s`` and every ``*_s`` value are seconds from the session's first frame; angles
``*_deg`` degrees; ``width``/``height`` pixels; timestamps are timezone-aware UTC datetimes.
NaN or infinite numbers are stored as NULL and come back as ``None``.

Concurrency: a :class:`Store` may be shared by threads (each call opens its own database
session from a pool), and several stores (or processes) may use one SQLite file: it runs in
WAL mode, so readers never wait, and every write transaction starts with ``BEGIN IMMEDIATE``,
so writers queue (up to 30 s) instead of failing half-way. On PostgreSQL each write locks its
session row (``SELECT ... FOR UPDATE``), so chunk numbers and rep upserts cannot race.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import numpy.typing as npt
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool, StaticPool

from pressup.analysis.result import Rep
from pressup.errors import (
    DatabaseError,
    InputError,
    RecordNotFoundError,
    StorageError,
    StorageUnavailableError,
    TrackFormatError,
)
from pressup.pose.track import CHANNELS, N_LANDMARKS, PoseTrack, TrackSource
from pressup.storage.models import (
    ID_LEN,
    KIND_LEN,
    STAGE_LEN,
    VARIANT_LEN,
    EventRow,
    FeedbackRow,
    PainRow,
    RepRow,
    SessionRow,
    TrackChunkRow,
)
from pressup.storage.values import (
    as_utc,
    id_chunks,
    opt_float,
    opt_int,
    req_bool,
    req_int,
    req_text,
    utc_now,
)

#: Where the migration scripts live (``env.py``, ``versions/``), inside the package.
MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
#: Environment variable naming the database (any SQLAlchemy URL).
DATABASE_URL_ENV = "PRESSUP_DATABASE_URL"
#: Stage of a freshly created session (the coach's stages: setup, start_check, exercise, ...).
INITIAL_STAGE = "setup"
#: Seconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0
#: Frame rate reported by :meth:`Store.load_track` when it cannot be estimated.
DEFAULT_FPS = 30.0
#: Keys of a stored repetition, as in :class:`pressup.analysis.result.Rep`.
REP_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Rep))
_REP_OPTIONAL_FLOATS: tuple[str, ...] = (
    "top_start_s",
    "top_end_s",
    "end_s",
    "press_s",
    "hold_s",
    "lower_s",
    "peak_trunk_deg",
    "peak_elbow_deg",
)
_EVENT_KEYS = frozenset({"t_s", "kind", "rep"})
_WRITE_OPTION = "pressup_write"
_FRAME_SHAPE = (N_LANDMARKS, len(CHANNELS))

FloatArray = npt.NDArray[np.float64]


# -- database URL, engines and migrations --------------------------------------------------


def default_database_url() -> str:
    """The database to use: ``$PRESSUP_DATABASE_URL``, else the per-user SQLite file.

    The file is ``$XDG_DATA_HOME/pressup/pressup.db`` (``~/.local/share`` when the variable is
    unset or not an absolute path); its folder is created.

    Raises:
        StorageError: the folder cannot be created.
    """
    env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if env:
        return env
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    folder = base / "pressup"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data folder {folder}: {exc}") from exc
    return f"sqlite:///{folder / 'pressup.db'}"


def safe_url(url: str) -> str:
    """``url`` with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    """An engine for ``url`` configured for the store.

    SQLite: ``check_same_thread=False``, WAL journal, foreign keys on, a 30 s busy timeout, and
    explicit ``BEGIN`` (``BEGIN IMMEDIATE`` on connections with the write option) so that DDL
    is transactional and writers queue. ``sqlite://`` (in memory) shares one connection.
    Other databases: ``pool_pre_ping``. ``pooled=False`` opens a fresh connection each time.

    Raises:
        StorageError: the URL is malformed, names no installed driver, or its folder cannot
            be created.
    """
    try:
        u = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!r}") from exc
    kwargs: dict[str, Any] = {}
    sqlite = u.get_backend_name() == "sqlite"
    memory = sqlite and u.database in (None, "", ":memory:")
    read_only = False
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        if memory:
            kwargs["poolclass"] = StaticPool
        elif read_only_file(u.database):
            # a file this user cannot write (a backup, another user's): read it as it is; a
            # WAL database could not even be read the ordinary way (its -shm file is written)
            read_only = True
            kwargs["creator"] = _read_only_connect(Path(str(u.database)))
        else:
            folder = Path(str(u.database)).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the database folder {folder}: {exc}") from exc
    else:
        kwargs["pool_pre_ping"] = True
    if not pooled and not memory:
        kwargs["poolclass"] = NullPool
    try:
        engine = create_engine(u, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot use database {safe_url(url)}: {exc}") from exc
    if sqlite:
        _configure_sqlite(engine, wal=not memory and not read_only)
    return engine


def read_only_file(database: str | None) -> bool:
    """Is ``database`` (a SQLite URL's file name) an existing file this user cannot write?"""
    if database in (None, "", ":memory:"):
        return False
    path = Path(str(database))
    return path.is_file() and not os.access(path, os.W_OK)


def _read_only_connect(path: Path) -> Any:
    """A connection factory opening ``path`` read-only and immutable (nothing is written, not
    even the WAL index); writing through it fails with "attempt to write a readonly database"."""
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro&immutable=1"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(
            uri, uri=True, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_S
        )

    return connect


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from issuing BEGIN/COMMIT on its own; on_begin below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    def on_begin(connection: Connection) -> None:
        write = bool(connection.get_execution_options().get(_WRITE_OPTION, False))
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside one write transaction, fit for running migrations.

    On SQLite, foreign-key enforcement is off meanwhile (a batch migration copies and drops
    tables, and dropping ``sessions`` would otherwise cascade to every child row); before
    committing, ``PRAGMA foreign_key_check`` must find no dangling reference.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.execution_options(**{_WRITE_OPTION: True}).connect() as conn:
        raw = conn.connection.driver_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if bad:
                        raise StorageError(
                            f"migration left {len(bad)} rows whose parent is missing "
                            f"(first: {tuple(bad[0])})"
                        )
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic :class:`~alembic.config.Config` for pressup's migrations (no ini file).

    With ``url`` it also sets ``sqlalchemy.url``, for ``alembic.command`` calls that open
    their own connection (e.g. ``command.revision(..., autogenerate=True)``).
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration revision this version of pressup knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StorageError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


log = logging.getLogger("pressup.storage")


def _current_or_none(engine: Engine) -> str | None:
    """The schema revision, or ``None`` when it cannot be read yet (a new or empty file: the
    migration that follows creates it, or says why it cannot)."""
    try:
        return _current(engine)
    except SQLAlchemyError as exc:
        log.debug("schema revision of %s not readable yet: %s", safe_url(str(engine.url)), exc)
        return None


def _migrate(engine: Engine, action: str, revision: str) -> None:
    cfg = alembic_config()
    try:
        with migration_connection(engine) as conn:
            cfg.attributes["connection"] = conn
            if action == "upgrade":
                command.upgrade(cfg, revision)
            else:
                command.downgrade(cfg, revision)
    except CommandError as exc:
        raise StorageError(
            f"cannot {action} database {safe_url(str(engine.url))} to {revision!r}: {exc}"
        ) from exc
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot {action} database {safe_url(str(engine.url))} to {revision!r}: "
            f"{_first_line(exc)}"
        ) from exc


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` in one transaction.

    Raises:
        StorageError: the database cannot be opened or the migration failed (nothing changed).
    """
    engine = make_engine(url, pooled=False)
    try:
        _migrate(engine, "upgrade", revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"`` drops every table).

    Raises:
        StorageError: the database cannot be opened or the migration failed (nothing changed).
    """
    engine = make_engine(url, pooled=False)
    try:
        _migrate(engine, "downgrade", revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The migration revision the database at ``url`` is at (``None``: no pressup tables).

    Raises:
        StorageUnavailableError: the database does not answer (or is locked, full...).
        DatabaseError: it answered with an error.
    """
    engine = make_engine(url, pooled=False)
    try:
        return _current(engine)
    except OperationalError as exc:
        raise StorageUnavailableError(
            f"cannot read {safe_url(url)}: {_first_line(exc)}", reason=unavailable_reason(exc)
        ) from exc
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read {safe_url(url)}: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


# -- records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRecord:
    """One stored session (a plain copy of its row; timestamps are UTC).

    Attributes:
        id: 32-character hex UUID.
        created_at, updated_at: creation and last write; ``ended_at`` when it was ended.
        client: the client's description of itself (``hello.client``).
        stage: coaching stage (``setup``, ``start_check``, ``exercise``, ``rest``, ...).
        reps_done, target_reps: completed repetitions and the dose's target.
        dose, protocol: JSON objects as given to :meth:`Store.create_session`.
        video_width, video_height: camera frame size in pixels, if known.
    """

    id: str
    created_at: datetime
    updated_at: datetime
    ended_at: Optional[datetime]
    client: str
    stage: str
    reps_done: int
    target_reps: int
    dose: dict[str, Any]
    protocol: dict[str, Any]
    video_width: Optional[int]
    video_height: Optional[int]

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: timestamps as ISO 8601 strings."""
        out = asdict(self)
        for key in ("created_at", "updated_at", "ended_at"):
            value = out[key]
            out[key] = value.isoformat() if value is not None else None
        return out


def session_record(row: SessionRow) -> SessionRecord:
    """The :class:`SessionRecord` of a ``sessions`` row."""
    ended = as_utc(row.ended_at) if row.ended_at is not None else None
    return SessionRecord(
        id=row.id,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        ended_at=ended,
        client=row.client,
        stage=row.stage,
        reps_done=row.reps_done,
        target_reps=row.target_reps,
        dose=dict(row.dose),
        protocol=dict(row.protocol),
        video_width=row.video_width,
        video_height=row.video_height,
    )


# -- the store ---------------------------------------------------------------------------


class Store:
    """Persistent coaching sessions. Every method is one transaction: it is stored whole or
    not at all. Unknown session ids raise :class:`~pressup.errors.StorageError`; malformed
    arguments raise :class:`~pressup.errors.InputError` (landmark arrays:
    :class:`~pressup.errors.TrackFormatError`) before anything is written.
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        """Open the database at ``url`` (default :func:`default_database_url`).

        ``migrate=True`` brings the schema to the newest revision (``alembic upgrade head``);
        with ``migrate=False`` the schema must already be there.

        Raises:
            StorageError: the database cannot be opened or migrated, or (``migrate=False``) its
                schema is not at the newest revision.
        """
        self.url = url if url is not None else default_database_url()
        self._safe_url = safe_url(self.url)
        self._engine = make_engine(self.url)
        self._writer = self._engine.execution_options(**{_WRITE_OPTION: True})
        self._closed = False
        try:
            if migrate:
                if _current_or_none(self._engine) != head_revision():
                    _migrate(self._engine, "upgrade", "head")
                # else: already at the newest schema; nothing to write (a read-only database
                # can still be read)
            else:
                try:
                    current = _current(self._engine)
                except SQLAlchemyError as exc:
                    raise StorageError(
                        f"cannot open database {self._safe_url}: {_first_line(exc)}"
                    ) from exc
                head = head_revision()
                if current != head:
                    raise StorageError(
                        f"database {self._safe_url} is at schema revision {current!r} but "
                        f"pressup needs {head!r}; open it with migrate=True or run "
                        "pressup.storage.upgrade(url)"
                    )
        except BaseException:
            self._engine.dispose()
            raise

    def close(self) -> None:
        """Close every pooled connection. The store cannot be used afterwards."""
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._safe_url!r})"

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Session]:
        """One transaction on an ORM session: committed when the block ends, rolled back when
        it raises. ``write=True`` takes the write lock up front (SQLite: ``BEGIN IMMEDIATE``).
        Database errors come out as :class:`~pressup.errors.StorageError`
        (:class:`~pressup.errors.StorageUnavailableError` when trying again may succeed: locked,
        disk full, I/O error, the server does not answer; else
        :class:`~pressup.errors.DatabaseError`), whose :attr:`~pressup.errors.DatabaseError.public`
        words name no database. The repository modules (:mod:`pressup.storage.screenings`,
        :mod:`~pressup.storage.symptoms`, :mod:`~pressup.storage.decisions`,
        :mod:`~pressup.storage.prescriptions`, :mod:`~pressup.storage.accounts`) build their
        reads and writes on it."""
        if self._closed:
            raise StorageError(f"the store on {self._safe_url} is closed")
        try:
            bind = self._writer if write else self._engine
            with Session(bind, expire_on_commit=False) as s, s.begin():
                yield s
        except OperationalError as exc:
            # locked past the busy timeout, disk full, an I/O error, the server gone: may
            # succeed later
            raise StorageUnavailableError(
                f"database {self._safe_url} cannot be used now: {_first_line(exc)}",
                reason=unavailable_reason(exc),
            ) from exc
        except SQLAlchemyError as exc:
            raise DatabaseError(f"database error on {self._safe_url}: {_first_line(exc)}") from exc

    @staticmethod
    def session_row(s: Session, session_id: str, *, lock: bool = False) -> SessionRow:
        """The session's row within transaction ``s`` (``lock``: ``SELECT ... FOR UPDATE``).

        Raises:
            StorageError: no session with this id.
        """
        if not isinstance(session_id, str) or not 0 < len(session_id) <= ID_LEN:
            raise RecordNotFoundError(f"no session with id {session_id!r} in the database")
        row = s.get(SessionRow, session_id, with_for_update=lock)
        if row is None:
            raise RecordNotFoundError(f"no session with id {session_id!r} in the database")
        return row

    # -- sessions -------------------------------------------------------------------------

    def create_session(
        self,
        *,
        client: str,
        dose: Mapping[str, Any],
        protocol: Mapping[str, Any],
        target_reps: int,
        width: int | None = None,
        height: int | None = None,
    ) -> str:
        """Store a new session at stage ``setup`` with 0 reps done; return its id.

        Args:
            client: the client's self-description (free text).
            dose, protocol: JSON objects (NaN/infinity become null).
            target_reps: repetitions to do, >= 0.
            width, height: camera frame size in pixels, if already known.
        """
        now = utc_now()
        row = SessionRow(
            id=uuid.uuid4().hex,
            created_at=now,
            updated_at=now,
            ended_at=None,
            client=req_text("client", client),
            stage=INITIAL_STAGE,
            reps_done=0,
            target_reps=req_int("target_reps", target_reps, minimum=0),
            dose=_json_object("dose", dose),
            protocol=_json_object("protocol", protocol),
            video_width=opt_int("width", width, minimum=1),
            video_height=opt_int("height", height, minimum=1),
        )
        with self.transaction(write=True) as s:
            s.add(row)
        return row.id

    def get_session(self, session_id: str) -> SessionRecord | None:
        """The session, or ``None`` when no session has this id."""
        if not isinstance(session_id, str):
            return None
        with self.transaction(write=False) as s:
            row = s.get(SessionRow, session_id)
            return session_record(row) if row is not None else None

    def list_sessions(self, limit: int = 100) -> list[SessionRecord]:
        """At most ``limit`` sessions, newest (by creation) first."""
        n = req_int("limit", limit, minimum=1)
        stmt = (
            select(SessionRow).order_by(SessionRow.created_at.desc(), SessionRow.id.desc()).limit(n)
        )
        with self.transaction(write=False) as s:
            return [session_record(row) for row in s.scalars(stmt)]

    def update_session(
        self,
        session_id: str,
        *,
        stage: str | None = None,
        reps_done: int | None = None,
        ended: bool = False,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        """Change the given fields (``None`` leaves one as it is) and ``updated_at``.

        ``ended=True`` sets ``ended_at`` to now (again, if the session had been resumed);
        ``ended=False`` leaves it unchanged. ``width``/``height`` are pixels.
        """
        new_stage = req_text("stage", stage, max_len=STAGE_LEN) if stage is not None else None
        new_reps = opt_int("reps_done", reps_done, minimum=0)
        new_w = opt_int("width", width, minimum=1)
        new_h = opt_int("height", height, minimum=1)
        is_ended = req_bool("ended", ended)
        with self.transaction(write=True) as s:
            row = self.session_row(s, session_id, lock=True)
            now = utc_now()
            if new_stage is not None:
                row.stage = new_stage
            if new_reps is not None:
                row.reps_done = new_reps
            if new_w is not None:
                row.video_width = new_w
            if new_h is not None:
                row.video_height = new_h
            if is_ended:
                row.ended_at = now
            row.updated_at = now

    def delete_session(self, session_id: str) -> None:
        """Delete the session and everything stored with it."""
        with self.transaction(write=True) as s:
            self.session_row(s, session_id, lock=True)
            s.execute(delete(SessionRow).where(SessionRow.id == session_id))

    # -- events ---------------------------------------------------------------------------

    def add_events(self, session_id: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Store engine events (as :meth:`pressup.engine.events.Event.to_dict` gives them).

        Each mapping needs ``t_s`` (seconds; NaN or None allowed) and ``kind`` (text, at most
        64 characters); ``rep`` (1-based int or None) is optional; every other key goes to the
        event's JSON ``data``. Nothing is stored if any event is malformed.
        """
        rows = [event_row(session_id, i, ev) for i, ev in enumerate(events)]
        with self.transaction(write=True) as s:
            row = self.session_row(s, session_id, lock=bool(rows))
            if rows:
                s.add_all(rows)
                row.updated_at = utc_now()

    def list_events(self, session_id: str) -> list[dict[str, Any]]:
        """Events in the order stored: ``{"t_s", "kind", "rep", **data}`` (NaN came back None)."""
        stmt = select(EventRow).where(EventRow.session_id == session_id).order_by(EventRow.id)
        with self.transaction(write=False) as s:
            self.session_row(s, session_id)
            return [event_dict(r) for r in s.scalars(stmt)]

    # -- repetitions ------------------------------------------------------------------------

    def upsert_rep(self, session_id: str, rep: Union[Mapping[str, Any], Rep]) -> None:
        """Store a repetition, replacing the one with the same number and start time (the same
        attempt stored again, as a resumed session's replay does). An attempt that did not count
        and the next attempt share a number: both are kept, in time order.

        ``rep`` has the fields of :class:`pressup.analysis.result.Rep` (a ``Rep`` or its
        ``asdict``; ``index`` is the 1-based number); seconds for ``*_s``, degrees for
        ``*_deg``. ``index``, ``start_s`` (finite) and ``variant`` are required; missing or
        NaN times and angles are stored as None, ``faults`` defaults to ``[]`` and
        ``complete`` to True. Other keys are ignored.
        """
        values = rep_values(rep)
        number = values.pop("number")
        with self.transaction(write=True) as s:
            session = self.session_row(s, session_id, lock=True)
            stmt = select(RepRow).where(
                RepRow.session_id == session_id,
                RepRow.number == number,
                RepRow.start_s == values["start_s"],
            )
            row = s.scalars(stmt).one_or_none()
            if row is None:
                s.add(RepRow(session_id=session_id, number=number, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            session.updated_at = utc_now()

    def list_reps(self, session_id: str) -> list[dict[str, Any]]:
        """Repetitions by number, then start time (every attempt kept), as dicts with the keys
        :data:`REP_KEYS` (NaN came back None)."""
        stmt = (
            select(RepRow)
            .where(RepRow.session_id == session_id)
            .order_by(RepRow.number, RepRow.start_s)
        )
        with self.transaction(write=False) as s:
            self.session_row(s, session_id)
            return [rep_dict(r) for r in s.scalars(stmt)]

    def reps_of(self, session_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """:meth:`list_reps` of many sessions in a few queries: id -> repetitions by number
        (an id with none, or unknown, maps to ``[]``)."""
        out: dict[str, list[dict[str, Any]]] = {sid: [] for sid in session_ids}
        with self.transaction(write=False) as s:
            for chunk in id_chunks(list(out)):
                stmt = (
                    select(RepRow)
                    .where(RepRow.session_id.in_(chunk))
                    .order_by(RepRow.session_id, RepRow.number, RepRow.start_s)
                )
                for r in s.scalars(stmt):
                    out[r.session_id].append(rep_dict(r))
        return out

    def events_of(self, session_ids: Sequence[str], kind: str) -> dict[str, list[dict[str, Any]]]:
        """The events of one ``kind`` of many sessions in a few queries: id -> events in the
        order stored, as :meth:`list_events` gives them (an id with none maps to ``[]``)."""
        out: dict[str, list[dict[str, Any]]] = {sid: [] for sid in session_ids}
        with self.transaction(write=False) as s:
            for chunk in id_chunks(list(out)):
                stmt = (
                    select(EventRow)
                    .where(EventRow.session_id.in_(chunk), EventRow.kind == kind)
                    .order_by(EventRow.id)
                )
                for r in s.scalars(stmt):
                    out[r.session_id].append(event_dict(r))
        return out

    # -- ratings and feedback -------------------------------------------------------------

    def add_pain(
        self,
        session_id: str,
        *,
        rep: int,
        score: int | None,
        skipped: bool,
        t_s: float | None,
    ) -> None:
        """Store a pain rating.

        Args:
            rep: the repetition it follows, >= 0 (0 = before the set).
            score: 0..10, or None exactly when ``skipped``.
            skipped: the user declined to rate.
            t_s: session time in seconds, if known (NaN stored as None).
        """
        rep_n = req_int("rep", rep, minimum=0)
        is_skipped = req_bool("skipped", skipped)
        score_n = opt_int("score", score, minimum=0)
        if score_n is not None and score_n > 10:
            raise InputError(f"score: expected an integer 0..10, got {score_n}")
        if is_skipped and score_n is not None:
            raise InputError(f"score: a skipped rating has no score, got {score_n}")
        if not is_skipped and score_n is None:
            raise InputError("score: expected an integer 0..10 (or skipped=True), got None")
        when = opt_float("t_s", t_s)
        with self.transaction(write=True) as s:
            row = self.session_row(s, session_id, lock=True)
            now = utc_now()
            s.add(
                PainRow(
                    session_id=session_id,
                    rep=rep_n,
                    score=score_n,
                    skipped=is_skipped,
                    t_s=when,
                    created_at=now,
                )
            )
            row.updated_at = now

    def list_pain(self, session_id: str) -> list[dict[str, Any]]:
        """Pain ratings in the order stored.

        Each is ``{"rep", "score", "skipped", "t_s", "created_at"}`` (``t_s`` seconds or None).
        """
        stmt = select(PainRow).where(PainRow.session_id == session_id).order_by(PainRow.id)
        with self.transaction(write=False) as s:
            self.session_row(s, session_id)
            return [pain_dict(r) for r in s.scalars(stmt)]

    def pain_of(self, session_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """:meth:`list_pain` of many sessions in a few queries (an id with none maps to
        ``[]``)."""
        out: dict[str, list[dict[str, Any]]] = {sid: [] for sid in session_ids}
        with self.transaction(write=False) as s:
            for chunk in id_chunks(list(out)):
                stmt = select(PainRow).where(PainRow.session_id.in_(chunk)).order_by(PainRow.id)
                for r in s.scalars(stmt):
                    out[r.session_id].append(pain_dict(r))
        return out

    def add_feedback(self, session_id: str, *, helpful: bool, comment: str | None) -> None:
        """Store the user's feedback: was the session helpful, and an optional comment."""
        is_helpful = req_bool("helpful", helpful)
        text = req_text("comment", comment) if comment is not None else None
        with self.transaction(write=True) as s:
            row = self.session_row(s, session_id, lock=True)
            now = utc_now()
            s.add(
                FeedbackRow(session_id=session_id, helpful=is_helpful, comment=text, created_at=now)
            )
            row.updated_at = now

    def list_feedback(self, session_id: str) -> list[dict[str, Any]]:
        """Feedback in the order stored: ``{"helpful", "comment", "created_at"}``."""
        stmt = (
            select(FeedbackRow).where(FeedbackRow.session_id == session_id).order_by(FeedbackRow.id)
        )
        with self.transaction(write=False) as s:
            self.session_row(s, session_id)
            return [
                {"helpful": r.helpful, "comment": r.comment, "created_at": as_utc(r.created_at)}
                for r in s.scalars(stmt)
            ]

    # -- landmark frames ------------------------------------------------------------------

    def append_frames(
        self,
        session_id: str,
        t_s: npt.ArrayLike,
        data: npt.ArrayLike,
        *,
        width: int,
        height: int,
    ) -> None:
        """Store one chunk of landmark frames (the next ``seq``).

        Args:
            t_s: shape ``(n,)``, seconds from the session's first frame, finite and
                non-decreasing.
            data: shape ``(n, 33, 4)``, channels ``x_px, y_px, z, visibility`` in the units of
                :mod:`pressup.pose.track` (NaN = not seen); stored as float32.
            width, height: frame size in pixels of these frames (the session's frame size is
                set from the first chunk if it was unknown).

        An empty chunk (n = 0) stores nothing.

        Raises:
            TrackFormatError: shapes or values break the pose-track contract.
        """
        t, d = chunk_arrays(t_s, data)
        w = req_int("width", width, minimum=1)
        h = req_int("height", height, minimum=1)
        with self.transaction(write=True) as s:
            session = self.session_row(s, session_id, lock=True)
            if t.size == 0:
                return
            last = s.scalar(
                select(func.max(TrackChunkRow.seq)).where(TrackChunkRow.session_id == session_id)
            )
            s.add(
                TrackChunkRow(
                    session_id=session_id,
                    seq=0 if last is None else int(last) + 1,
                    t0_s=float(t[0]),
                    n_frames=int(t.size),
                    width=w,
                    height=h,
                    t_s=t.astype("<f8").tobytes(),
                    data=d.astype("<f4").tobytes(),
                )
            )
            s.flush()
            _touch(session, width=w, height=h)

    def load_track(self, session_id: str) -> PoseTrack:
        """The session's landmark track: every chunk, in ``seq`` order.

        Where a later chunk covers the time span of earlier frames (a second tab, a resumed
        connection), the later chunk's frames win and the rest are kept in time order; normally
        the result is exactly the frames appended (at float32 precision). The source is
        ``TrackSource(backend="browser", model="blazepose_web", video=None)`` with the first
        chunk's width and height and ``fps`` from the median frame interval (30 when unknown);
        ``meta`` holds ``session_id``.

        Raises:
            StorageError: unknown session, a corrupt chunk, or no frames and no known frame size.
        """
        stmt = (
            select(TrackChunkRow)
            .where(TrackChunkRow.session_id == session_id)
            .order_by(TrackChunkRow.seq)
        )
        with self.transaction(write=False) as s:
            session = self.session_row(s, session_id)
            rows = list(s.scalars(stmt))
            chunks = [_decode_chunk(session_id, c) for c in rows]
            width: int | None
            height: int | None
            if rows:
                width, height = rows[0].width, rows[0].height
            else:
                width, height = session.video_width, session.video_height
        if width is None or height is None:
            raise StorageError(
                f"session {session_id!r} has no landmark frames and no known frame size"
            )
        t, d = _merge_chunks(chunks)
        source = TrackSource(
            backend="browser",
            model="blazepose_web",
            video=None,
            width=int(width),
            height=int(height),
            fps=_estimate_fps(t),
        )
        return PoseTrack(t_s=t, data=d, source=source, meta={"session_id": session_id})


# -- helpers -------------------------------------------------------------------------------


def _touch(session: SessionRow, *, width: int, height: int) -> None:
    """Mark the session written; take the frame size from the first chunk if unknown."""
    session.updated_at = utc_now()
    if session.video_width is None or session.video_height is None:
        session.video_width = width
        session.video_height = height


#: The driver's words (lower case) and what a user is told of them, first match wins.
_UNAVAILABLE_REASONS: tuple[tuple[str, str], ...] = (
    ("locked", "it is locked by another writer"),
    ("disk is full", "its disk is full"),
    ("no space left", "its disk is full"),
    ("readonly", "it is read-only"),
    ("read-only", "it is read-only"),
    ("unable to open", "it cannot be opened"),
    ("disk i/o", "a disk error"),
)


def unavailable_reason(exc: BaseException) -> str:
    """Why the database cannot be used now, in a few words fit for a user (no address, no
    driver text): locked, full, read-only, not opened, a disk error; otherwise it does not
    answer (a server down, restarting or refusing connections)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for key, words in _UNAVAILABLE_REASONS:
        if key in text:
            return words
    return "it does not answer"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def event_dict(r: EventRow) -> dict[str, Any]:
    """An engine event as :meth:`Store.list_events` gives it."""
    return {"t_s": r.t_s, "kind": r.kind, "rep": r.rep, **r.data}


def pain_dict(r: PainRow) -> dict[str, Any]:
    """A pain rating as :meth:`Store.list_pain` gives it."""
    return {
        "rep": r.rep,
        "score": r.score,
        "skipped": r.skipped,
        "t_s": r.t_s,
        "created_at": as_utc(r.created_at),
    }


def rep_dict(r: RepRow) -> dict[str, Any]:
    """A repetition as :meth:`Store.list_reps` gives it."""
    return {
        "index": r.number,
        "start_s": r.start_s,
        "top_start_s": r.top_start_s,
        "top_end_s": r.top_end_s,
        "end_s": r.end_s,
        "press_s": r.press_s,
        "hold_s": r.hold_s,
        "lower_s": r.lower_s,
        "variant": r.variant,
        "peak_trunk_deg": r.peak_trunk_deg,
        "peak_elbow_deg": r.peak_elbow_deg,
        "faults": list(r.faults),
        "complete": r.complete,
        "not_counted": r.not_counted,
    }


def _json(value: Any, where: str) -> Any:
    """A JSON-compatible copy: NaN/infinity -> None, numpy scalars/arrays -> Python values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.ndarray):
        return _json(value.tolist(), where)
    if is_dataclass(value) and not isinstance(value, type):
        return _json(asdict(value), where)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"{where}: JSON object keys must be strings, got {key!r}")
            out[key] = _json(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise InputError(f"{where}: expected a JSON value, got {type(value).__name__}")


def _json_object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"{name}: expected a JSON object (mapping), got {type(value).__name__}")
    out: dict[str, Any] = _json(value, name)
    return out


def event_row(session_id: str, i: int, ev: Any) -> EventRow:
    where = f"events[{i}]"
    if not isinstance(ev, Mapping):
        raise InputError(f"{where}: expected a mapping, got {type(ev).__name__}")
    for key in ("t_s", "kind"):
        if key not in ev:
            raise InputError(f"{where}: missing key {key!r}")
    data = {k: v for k, v in ev.items() if k not in _EVENT_KEYS}
    return EventRow(
        session_id=session_id,
        t_s=opt_float(f"{where}.t_s", ev["t_s"]),
        kind=req_text(f"{where}.kind", ev["kind"], max_len=KIND_LEN),
        rep=opt_int(f"{where}.rep", ev.get("rep")),
        data=_json_object(f"{where}", data),
    )


def rep_values(rep: Any) -> dict[str, Any]:
    if isinstance(rep, Rep):
        rep = asdict(rep)
    if not isinstance(rep, Mapping):
        raise InputError(f"rep: expected a mapping or Rep, got {type(rep).__name__}")
    for key in ("index", "start_s", "variant"):
        if key not in rep:
            raise InputError(f"rep: missing key {key!r}")
    start = opt_float("rep.start_s", rep["start_s"])
    if start is None:
        raise InputError(f"rep.start_s: expected finite seconds, got {rep['start_s']!r}")
    faults = _json(rep.get("faults", []), "rep.faults")
    if not isinstance(faults, list):
        raise InputError(f"rep.faults: expected a list, got {type(faults).__name__}")
    values: dict[str, Any] = {
        "number": req_int("rep.index", rep["index"], minimum=1),
        "start_s": start,
        "variant": req_text("rep.variant", rep["variant"], max_len=VARIANT_LEN),
        "faults": faults,
        "complete": req_bool("rep.complete", rep.get("complete", True)),
        "not_counted": None
        if rep.get("not_counted") is None
        else req_text("rep.not_counted", rep["not_counted"], max_len=32),
    }
    for key in _REP_OPTIONAL_FLOATS:
        values[key] = opt_float(f"rep.{key}", rep.get(key))
    return values


def chunk_arrays(t_s: Any, data: Any) -> tuple[FloatArray, npt.NDArray[np.float32]]:
    try:
        t = np.asarray(t_s, dtype=np.float64)
        d = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TrackFormatError(f"landmark chunk: expected numeric arrays: {exc}") from exc
    if t.ndim != 1:
        raise TrackFormatError(f"landmark chunk: t_s must have shape (n,), got {t.shape}")
    if d.shape != (t.shape[0], *_FRAME_SHAPE):
        raise TrackFormatError(
            f"landmark chunk: data must have shape ({t.shape[0]}, {_FRAME_SHAPE[0]}, "
            f"{_FRAME_SHAPE[1]}) to match t_s, got {d.shape}"
        )
    if not np.all(np.isfinite(t)):
        raise TrackFormatError("landmark chunk: t_s must be finite seconds")
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise TrackFormatError("landmark chunk: t_s must not decrease")
    if np.any(np.isinf(d)):
        raise TrackFormatError("landmark chunk: data contains infinity (NaN marks a missing value)")
    with np.errstate(over="ignore", invalid="ignore"):
        d32 = d.astype(np.float32)
    if np.any(np.isinf(d32)):
        raise TrackFormatError("landmark chunk: data values exceed the float32 range")
    vis = d32[:, :, 3]
    if np.any((vis < 0) | (vis > 1)):
        raise TrackFormatError("landmark chunk: visibility must lie in 0..1")
    return t, d32


def _decode_chunk(
    session_id: str, chunk: TrackChunkRow
) -> tuple[FloatArray, npt.NDArray[np.float32]]:
    n = chunk.n_frames
    t_bytes, d_bytes = bytes(chunk.t_s), bytes(chunk.data)
    if len(t_bytes) != n * 8 or len(d_bytes) != n * N_LANDMARKS * len(CHANNELS) * 4:
        raise StorageError(
            f"session {session_id!r}: landmark chunk {chunk.seq} is corrupt "
            f"({n} frames but {len(t_bytes)} + {len(d_bytes)} bytes)"
        )
    t = np.frombuffer(t_bytes, dtype="<f8").astype(np.float64)
    d = np.frombuffer(d_bytes, dtype="<f4").astype(np.float32).reshape(n, *_FRAME_SHAPE)
    return t, d


def _merge_chunks(
    chunks: Sequence[tuple[FloatArray, npt.NDArray[np.float32]]],
) -> tuple[FloatArray, FloatArray]:
    """Concatenate chunks; where a later chunk covers earlier frames' times, it wins."""
    if not chunks:
        return np.zeros(0), np.zeros((0, *_FRAME_SHAPE))
    t = np.concatenate([c[0] for c in chunks])
    d = np.concatenate([c[1] for c in chunks]).astype(np.float64)
    if t.size < 2 or np.all(np.diff(t) >= 0):
        return t, d
    owner = np.concatenate([np.full(c[0].size, i) for i, c in enumerate(chunks)])
    keep = np.ones(t.size, dtype=bool)
    for j, (tj, _) in enumerate(chunks):
        keep &= ~((owner < j) & (t >= tj[0]) & (t <= tj[-1]))
    t, d = t[keep], d[keep]
    order = np.argsort(t, kind="stable")
    return t[order], d[order]


def _estimate_fps(t: FloatArray) -> float:
    if t.size < 2:
        return DEFAULT_FPS
    dt = np.diff(t)
    dt = dt[dt > 0]
    if dt.size == 0:
        return DEFAULT_FPS
    return float(1.0 / np.median(dt))

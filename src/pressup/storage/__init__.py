"""Persistence of live coaching sessions (SQLAlchemy 2.0 + Alembic).

:class:`Store` keeps each session as it happens: its state, engine events, repetitions, pain
ratings, feedback and the landmark frames (in chunks). SQLite is the embedded default
(:func:`default_database_url`: ``$PRESSUP_DATABASE_URL`` or
``$XDG_DATA_HOME/pressup/pressup.db``); any SQLAlchemy URL works, e.g.
``postgresql+psycopg://user:pass@host/pressup`` (install the driver yourself). Every method is
one transaction; unknown session ids raise :class:`pressup.errors.StorageError`.

Tables (see :mod:`pressup.storage.models`): ``sessions``, ``events``, ``reps``,
``pain_ratings``, ``feedback``, ``track_chunks``; children cascade on delete. Revision ``0002``
adds the safety tables, each behind one repository module (functions taking a :class:`Store`,
each one transaction on :meth:`Store.transaction`):

* :mod:`pressup.storage.screenings` - ``screenings`` (answers, outcome, clinician's approval);
* :mod:`pressup.storage.symptoms` - ``symptom_reports`` (cascade) and the coach's ratings
  (a pain rating with its symptom report);
* :mod:`pressup.storage.decisions` - ``progression_decisions`` (session set NULL on delete);
* :mod:`pressup.storage.prescriptions` - ``prescriptions`` (at most one active).

Revision ``0004`` adds the clinic's accounts (:mod:`pressup.storage.accounts`) and the patient
of each health row; ``0005`` keys a repetition by its number and start time (every attempt
kept); ``0006`` adds the cues the live coach sent (:mod:`pressup.storage.cues`, ``cues``,
cascade). :mod:`pressup.storage.caseload` reads what a clinician's patient list needs
of many patients at once.

Repository functions take a :class:`Store` and, like its methods, run as one transaction each
(stored whole or not at all). Malformed arguments raise :class:`~pressup.errors.InputError`
before anything is written; an unknown session id raises
:class:`~pressup.errors.StorageError`. Timestamps are timezone-aware UTC.

The application (:mod:`pressup.sessions`) is the only caller of these from the shells.

Schema changes: migrations
--------------------------
The schema is created and changed **only** by Alembic migrations in
``pressup/storage/migrations/versions`` (no ``alembic.ini``: :func:`alembic_config` builds the
configuration). ``Store(url)`` runs ``upgrade head`` on open; :func:`upgrade`,
:func:`downgrade`, :func:`current_revision` and :func:`head_revision` do it by hand. Each
migration runs in one transaction (also on SQLite), with SQLite's foreign-key enforcement off
and a ``PRAGMA foreign_key_check`` before commit.

To add tables (e.g. screening, symptom responses, progression decisions, prescriptions):

1. Add the mapped classes to :mod:`pressup.storage.models` (child tables: ``session_id`` via
   ``_session_fk()``, i.e. ``ForeignKey("sessions.id", ondelete="CASCADE")`` and an index;
   ``Optional[...]`` rather than ``X | None`` in ``Mapped[...]`` for Python 3.9).
2. Generate a draft against a scratch database at the current head::

       from alembic import command
       from pressup.storage import alembic_config, upgrade

       url = "sqlite:////tmp/pressup-scratch.db"
       upgrade(url)
       command.revision(alembic_config(url), message="screening", autogenerate=True,
                        rev_id="0002")

   This writes ``versions/0002_screening.py`` (``down_revision = "0001"``) from
   ``migrations/script.py.mako``. Number revisions ``0002``, ``0003``, ... so the files sort.
3. Review it and run ``ruff format`` / ``ruff check --fix`` on it: portable types only
   (``sa.JSON``, ``sa.LargeBinary``, ``sa.DateTime(timezone=True)``), explicit constraint
   names (``op.f("...")``, as :data:`~pressup.storage.models.NAMING_CONVENTION` gives them),
   changes to existing tables inside ``with op.batch_alter_table("name") as batch:`` (SQLite
   copies the table), and a ``downgrade()`` that undoes ``upgrade()``. Migrations never
   import the models.
4. ``tests/unit/storage/test_storage.py`` checks that the models match the migrated schema and that
   ``upgrade head`` / ``downgrade base`` / ``upgrade head`` works on empty and populated
   databases; extend its populated-database test with rows in the new tables.
"""

from pressup.storage.store import (
    DATABASE_URL_ENV,
    REP_KEYS,
    SessionRecord,
    Store,
    alembic_config,
    current_revision,
    default_database_url,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)

__all__ = [
    "DATABASE_URL_ENV",
    "REP_KEYS",
    "SessionRecord",
    "Store",
    "alembic_config",
    "current_revision",
    "default_database_url",
    "downgrade",
    "head_revision",
    "make_engine",
    "upgrade",
]

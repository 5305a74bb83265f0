"""The application layer: what the CLI and the web do with stored sessions.

* :mod:`pressup.sessions.store` - open the store, find one stored session
  (:class:`~pressup.storage.SessionRecord`).
* :mod:`pressup.sessions.records` - screenings, symptom reports, pain ratings, decisions and
  prescriptions (the application's functions over the storage repositories), and the rows of
  many sessions at once.
* :mod:`pressup.sessions.outcome` - what one stored session came to
  (:class:`~pressup.sessions.outcome.SessionOutcome`): complete reps, symptom response, the
  stop, and pain before/after by the one rule every reader shares.
* :mod:`pressup.sessions.plan` - today's dose and why: the stored history as the progression
  reads it, the prescription in force, the review (decide and record), the coach gate, and the
  plan of a new live session.
* :mod:`pressup.sessions.recorded` - a set recorded on video stored like a live session.

This package is the only caller of :mod:`pressup.storage` from the shells (``cli``, ``web``)
and from ``report`` and ``export``. It sits above the domain packages (``analysis``,
``safety``, ``storage``) and below the shells.
"""

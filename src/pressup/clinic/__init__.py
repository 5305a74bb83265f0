"""``pressup serve``: the clinic - one server for many patients and their physiotherapists.

* :mod:`~pressup.clinic.settings` - settings from ``PRESSUP_*`` variables (pydantic-settings);
* :mod:`~pressup.clinic.app` - the app factory;
* :mod:`~pressup.clinic.auth` - passwords, sign-in sessions, roles, CSRF, the audit trail;
* :mod:`~pressup.clinic.coach_bridge` - the coach's routes for a signed-in patient;
* :mod:`~pressup.clinic.routes` - health, sign-in, clinician, admin and patient pages;
* :mod:`~pressup.clinic.logs` - JSON log lines.

Storage is reached only through :mod:`pressup.sessions` (:mod:`pressup.sessions.clinic`).
"""

"""The clinic's own routers: ``health`` (``/healthz``, ``/readyz``), ``signin`` (sign in and
out, invitations), ``clinician`` (``/clinic/...``), ``admin`` (``/admin/...``), ``patient``
(``/``, ``/me``, deleting one's account). The coach's routes come through
:mod:`pressup.clinic.coach_bridge`."""

"""The clinic's own routers: ``health`` (``/healthz``, ``/readyz``), ``signin`` (sign in and
out, invitations and password-reset codes), ``account`` (changing one's password),
``clinician`` (``/clinic/...``, with ``replay`` and ``care_team``), ``admin``
(``/admin/...``), ``patient`` (``/``, ``/me``, deleting one's account). The coach's routes
come through :mod:`pressup.clinic.coach_bridge`."""

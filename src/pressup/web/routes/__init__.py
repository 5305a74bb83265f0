"""The web app's routers, one module per area (``create_app`` includes them all).

* :mod:`~pressup.web.routes.coach` - the coach page and ``/api/health``;
* :mod:`~pressup.web.routes.ws` - ``WS /ws``, the live coach's message protocol;
* :mod:`~pressup.web.routes.sessions` - stored sessions, the history page, a session's report,
  the reply timing;
* :mod:`~pressup.web.routes.screening` - the safety screening and the coach gate;
* :mod:`~pressup.web.routes.progress` - the dose in force, the next dose, a prescription;
* :mod:`~pressup.web.routes.exports` - the downloads.
"""

"""Exports for clinicians and researchers.

* :mod:`pressup.export.tables`: CSV/JSON tables of sessions and repetitions, from the session
  store and from ``pressup analyze`` folders, with exact CSV readers.
* :mod:`pressup.export.fhir`: a session as a FHIR R4 ``Bundle`` of ``Observation``\\ s (pain
  scores, trunk extension range, hold time, repetitions).
* :mod:`pressup.export.trc`: a landmark track as an OpenSim ``.trc`` marker file in mm.

The ``pressup export`` commands are in :mod:`pressup.cli.export`. Import the submodules
directly; this package imports nothing heavy.
"""

"""The pure streaming exercise engine: ``Engine.step(state, frame) -> (state, events)``."""

from pressup.engine.core import Baselines, Engine, EngineState, RepDraft, held_s, hold_running
from pressup.engine.events import EVENT_KINDS, Event, KinFrame

__all__ = [
    "EVENT_KINDS",
    "Baselines",
    "Engine",
    "EngineState",
    "Event",
    "KinFrame",
    "RepDraft",
    "held_s",
    "hold_running",
]

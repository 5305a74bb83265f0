"""Local web app of the live coach (FastAPI); see docs/protocol.md."""

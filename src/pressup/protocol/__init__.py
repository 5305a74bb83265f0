"""The protocol spec (dose and thresholds) and its loader."""

from pressup.protocol.spec import ProtocolSpec, default_spec_text, load_spec, spec_from_dict

__all__ = ["ProtocolSpec", "default_spec_text", "load_spec", "spec_from_dict"]

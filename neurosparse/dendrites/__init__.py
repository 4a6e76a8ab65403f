"""Active dendrites: SDRs, the exact theory and Monte Carlo of Ahmad & Hawkins (2016),
dendritic neurons and context-gated dendritic layers."""

from neurosparse.dendrites.theory import false_match_probability, log_false_match_probability

__all__ = ["false_match_probability", "log_false_match_probability"]

"""Judgment: spec, evals and statistics, value/ROI, verdict rules, kill criteria and records."""

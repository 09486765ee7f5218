"""Evaluation results: the common row type, importers and the store."""

"""Numbers: tokens, traffic, price catalogue and cost. No judgment, no UI."""

ENGINE_VERSION = "0.1.0"

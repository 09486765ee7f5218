"""Real usage exports (OpenAI, Anthropic, LiteLLM, plain CSV) read into typed rows."""

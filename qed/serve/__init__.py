"""OpenAI-compatible model server (completions and embeddings)."""

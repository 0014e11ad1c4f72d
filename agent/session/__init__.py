"""Persisted chat sessions: the multi-turn graph, checkpoints, approvals and estimates."""

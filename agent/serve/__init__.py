"""Embedding over the network: the HTTP API, the MCP server, their shared jobs and security."""

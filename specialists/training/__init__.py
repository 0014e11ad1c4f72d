"""Training loops of the learned specialists."""

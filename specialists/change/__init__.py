"""Change detection: change vector analysis and the learned siamese model."""

"""``detect_changes``: bi-temporal change (CVA and the learned siamese model)."""

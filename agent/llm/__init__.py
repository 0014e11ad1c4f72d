"""Language-model backends: configuration, local models, constrained decoding, the describer."""

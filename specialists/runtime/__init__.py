"""Model records, safe model files, checkpoints, devices and the model cache."""

"""YOLO detectors and sliced inference."""

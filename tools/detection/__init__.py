"""``detect_objects``: YOLO boxes over scenes of any size."""

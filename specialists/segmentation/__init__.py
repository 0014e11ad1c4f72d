"""Segment Anything and its tiling."""

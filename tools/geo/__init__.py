"""Georeferenced raster and vector plumbing shared by the tools: reading, tiling, areas, writing."""

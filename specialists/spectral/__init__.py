"""Spectral, SAR and hyperspectral compute: indices, bands, composites, speckle, stretches."""

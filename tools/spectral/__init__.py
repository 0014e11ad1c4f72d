"""The paths of ``spectral_index``: shared models and threshold outputs (``common``), single-date
indices (``single``) and dNBR burn severity from a pre-/post-fire pair (``burn``)."""

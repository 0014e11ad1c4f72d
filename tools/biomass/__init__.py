"""``estimate_biomass``: the AGB regression head, GEDI footprints and its training."""

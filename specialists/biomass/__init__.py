"""The above-ground-biomass regression head."""

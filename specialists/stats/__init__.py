"""Streaming statistics: thresholds, zonal statistics, trends."""

"""Water mapping: backscatter / index rules and the learned SAR water head."""

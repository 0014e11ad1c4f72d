"""``map_water``: water / flood extent (threshold methods and the learned SAR head)."""

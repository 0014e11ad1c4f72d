"""``segment``: SAM masks from boxes, points, class names or everything."""

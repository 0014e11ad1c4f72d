"""``classify_scene`` and ``search_images``: the CLIP-family tools, their models and index."""

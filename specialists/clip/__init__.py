"""CLIP-family encoders (RemoteCLIP, GeoRSCLIP)."""

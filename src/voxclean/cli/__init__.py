"""Command-line interface (``voxclean``): a thin layer over the public API."""

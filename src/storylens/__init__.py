"""storylens: stories from the news flood."""
__version__ = "0.1.0"

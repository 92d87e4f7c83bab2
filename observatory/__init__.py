"""Observatory: watch the regulation of AI in medicines and report exactly what changed."""

__version__ = "0.1.0"

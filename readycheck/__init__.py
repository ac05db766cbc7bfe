"""readycheck: is a freshly racked NVIDIA GPU server ready for production, and the evidence."""

__version__ = "0.1.0"

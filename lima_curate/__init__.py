"""lima-curate: the LIMA data recipe, rebuilt from public dumps."""

__version__ = "0.2.0"

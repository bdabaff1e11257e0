"""keras-repro: a cross-backend reproducibility matrix for the canonical Keras MLP."""
__version__ = "0.1.0"

"""Returns numpy draws: reproducible across processes exactly when numpy is seeded."""
import os
import random

NAME = "numpy_draw"
REPEATS = 3


def run_once(keras, np):
    return float(np.random.rand())


def hash_order():
    """Used by tests: string hashing depends on PYTHONHASHSEED."""
    return hash("reproducibility")

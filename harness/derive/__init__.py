"""Derive layer: pure computations over typed values. Runs no process, formats no output."""

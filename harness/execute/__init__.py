"""Execute layer: the in-environment worker (run by path) and the runner of one fresh process."""

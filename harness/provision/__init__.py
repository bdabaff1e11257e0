"""Build layer: interpreters, environments and the fixes old stacks need. Imports nothing above it."""


class InstallError(Exception):
    """An environment could not be built; recorded as the cell outcome install-failed."""

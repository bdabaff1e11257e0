"""Store layer: record files and their schema history, machines, and the result set read once."""

"""Subcommands of the analysis layer (agreement, stats, diff, bisect) are registered here."""


def add_parsers(sub, selection):
    return None

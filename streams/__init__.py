"""Mention Router: routes brand mentions from social channels to the team that answers them."""

__version__ = "0.1.0"

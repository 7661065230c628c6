"""Palaute's HTTP adapter: the app factory, blueprints by feature and the CLI."""

from .factory import create_app

__all__ = ["create_app"]

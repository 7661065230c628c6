"""Palaute's HTTP adapter: the app factory, blueprints by feature and the CLI."""

from .app import create_app

__all__ = ["create_app"]

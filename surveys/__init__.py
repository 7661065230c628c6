"""Palaute's domain: survey definitions, answers, aggregation and anonymity rules.

Nothing here imports Flask: the web app, the RQ workers and the CLI all use it directly.
"""

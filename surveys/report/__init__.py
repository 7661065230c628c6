"""Reporting: scopes (country, area, county), small-group suppression and results documents."""

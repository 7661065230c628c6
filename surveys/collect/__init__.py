"""Collecting a response: check the answers, scrub personal data, hold it for the fold."""

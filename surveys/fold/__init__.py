"""Folding: claim held responses, add them to the aggregates, move them into permanent storage in
shuffled batches; retention of raw responses."""

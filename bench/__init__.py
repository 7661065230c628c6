"""Load benchmark of the whole stack (`make bench`); see docs/performance.md."""

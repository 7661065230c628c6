"""RQ jobs. Jobs receive ids (or nothing), never objects, and are safe to run twice."""

"""Infrastructure: settings (the only reader of the environment), database, Redis and the RQ
queue, logs, migrations. The only part of the domain that talks to Redis or RQ."""

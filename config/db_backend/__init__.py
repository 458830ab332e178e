"""PostgreSQL backend for the AWS stages: Django's own, plus one retry on an authentication
failure after re-reading the RDS-managed secret (rotation). ENGINE="config.db_backend"."""

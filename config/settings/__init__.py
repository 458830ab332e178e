"""Settings per integration (CORS, DRF, JWT, GraphQL, Celery, AWS, logging), read via env."""

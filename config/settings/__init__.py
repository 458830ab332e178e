"""Settings per integration (CORS, DRF, JWT, GraphQL, items, Celery, AWS, logging), read via env."""

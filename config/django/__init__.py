"""Settings by environment: local (the embedded default), test, and aws (every Lambda stage).

Each module loads its own sources of configuration first, then imports `base`.
Integration settings (CORS, DRF, JWT, Celery, AWS...) live in `config/settings/`.
"""

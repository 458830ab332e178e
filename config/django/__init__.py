"""Settings by environment: local (the embedded default), test, and aws (every Lambda stage).

Each module settles STAGE (config.env.settle_stage) and loads its own sources of
configuration first, then imports `base`, then sets the defaults that differ by stage.
Integration settings (CORS, DRF, JWT, Celery, AWS...) live in `config/settings/` and read no
stage.
"""

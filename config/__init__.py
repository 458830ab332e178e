"""Wiring of the project: settings, URLs, the root GraphQL schema, the Celery app.

Apps never import from here; this package imports from the apps.
"""

"""Left only for accounts/views.py's import, which another change rewrites: the auth endpoints
use the shared api.request_body.JsonObjectParser. Delete this module once accounts/views.py
imports that directly."""

from api.request_body import JsonObjectParser as AnyContentTypeJSONParser

__all__ = ["AnyContentTypeJSONParser"]

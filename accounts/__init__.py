"""Book chapter "Serverless authentication": users, roles, scopes and JWTs.

The ground floor: other apps may import accounts, never the other way round.
"""

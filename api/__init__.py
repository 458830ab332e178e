"""The HTTP contract every app shares: the JSON error shape and where errors become it.

Not a feature of its own; it exists so no app reimplements error handling (docs/contract.md §2).
"""

"""Lambda SnapStart (staging, prod): every cold start resumes a snapshot of one initialized
process, so database connections are closed before the snapshot and `random` is reseeded
after each restore; cached secrets stay. Why: README "SnapStart", docs/deploy.md "SnapStart".
"""

import os
import random


def before_snapshot() -> None:
    from django.db import connections

    connections.close_all()


def after_restore() -> None:
    from django.db import connections

    random.seed()  # from os.urandom: each restored copy its own sequence
    # Nothing should be open (before_snapshot closed it); a connection opened between the
    # two hooks would still be the snapshot's socket.
    connections.close_all()


def register_hooks() -> bool:
    """Register the hooks when this process initializes for a SnapStart snapshot; return
    whether it did."""
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":
        return False
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True

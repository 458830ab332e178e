"""Lambda SnapStart (staging, prod): the process is initialized once, when a version is
published, snapshotted, and every cold start resumes a copy of that snapshot. What an
initialized process holds that must not be shared or outlive the snapshot:

- database connections: a socket in a snapshot is dead on restore (and would be one socket
  shared by every restored copy) -> closed before the snapshot; Django opens a new one on the
  first query after restore;
- the `random` module's state: every restored copy would draw the same sequence -> reseeded
  from os.urandom after restore (`secrets`, uuid4 and Django's tokens use os.urandom already);
- cached secrets: kept. The stage secret (SECRET_KEY, JWT key) changes with a deploy, which
  publishes a new version and snapshot; the RDS password, which rotates under a live snapshot,
  is re-read by config/db_backend the first time the database refuses it, so a restore costs
  no Secrets Manager call.

The hooks are plain functions, registered with the runtime's `snapshot_restore_py` (it exists
in Lambda's Python runtime, not in the package) only where Lambda says it initializes for a
snapshot.
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

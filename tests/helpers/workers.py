"""What the workers-mode tests share besides fixtures: the superuser the deployment creates."""

import secrets

ADMIN_USERNAME = "operator"
# Per test run: nothing secret lives in the repo.
ADMIN_PASSWORD = "workers-mode-" + secrets.token_urlsafe(12)

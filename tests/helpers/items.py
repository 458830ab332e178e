"""What the items tests share besides fixtures."""

import re

# The API's timestamps: ISO 8601 UTC with milliseconds.
ISO_UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

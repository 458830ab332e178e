# Shared by scripts/: find Python 3.12 and keep a virtualenv in step with the pins.

find_python312() {
  for candidate in "${PYTHON:-}" python3.12 "$HOME/.pyenv/versions/3.12.1/bin/python" python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "Python 3.12 is required (see .python-version); set PYTHON=/path/to/python3.12" >&2
  return 1
}

# ensure_venv DIR REQUIREMENT: create DIR with Python 3.12 and install REQUIREMENT (".", or
# ".[test]") under requirements/constraints.txt, then requirements/no-deps.txt without its
# dependencies (pyppeteer: that file says why); skipped when nothing changed since last time.
ensure_venv() {
  local venv="$1" requirement="$2" python stamp
  if [ ! -x "$venv/bin/python" ]; then
    python="$(find_python312)"
    "$python" -m venv "$venv"
  fi
  stamp="$(cat pyproject.toml requirements/constraints.txt requirements/no-deps.txt | sha256sum | cut -c1-16)-$requirement"
  local installed
  installed="$(cat "$venv/.installed" 2>/dev/null || true)"
  # A venv with the test extras also satisfies a plain "." install.
  if [ "$installed" != "$stamp" ] && [ "$installed" != "${stamp%-.}-.[test]" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
      2> >(grep -v "^WARNING: Location 'file:" >&2)
    # (This machine's pip.conf names local mirrors that may be absent: hide those warnings.)
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      -c requirements/constraints.txt "$requirement" \
      2> >(grep -v "^WARNING: Location 'file:" >&2)
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      -r requirements/no-deps.txt 2> >(grep -v "^WARNING: Location 'file:" >&2)
    echo "$stamp" > "$venv/.installed"
  fi
}

"""`python -m infra.static_files <stage>`: collectstatic with its manifest (WhiteNoise serves
from it), skipped when no source file changed since the last run: the files Django's finders
see, by path, size and modification time. Build-time settings only, no secret."""

import hashlib
import sys
from pathlib import Path

DIGEST_FILE = ".sources-digest"


def sources_digest() -> str:
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list(["redoc"]):
            stat = Path(storage.path(path)).stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def main(stage: str) -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    root = Path(settings.STATIC_ROOT)
    current = sources_digest()
    recorded = root / DIGEST_FILE
    if (root / "staticfiles.json").is_file() and recorded.is_file():
        if recorded.read_text() == current:
            print(f"  static files unchanged since the last collectstatic ({stage})", flush=True)
            return
    # /docs is Swagger UI: Redoc's assets are not served.
    call_command(
        "collectstatic", interactive=False, clear=True, verbosity=0, ignore_patterns=["redoc"]
    )
    recorded.write_text(current)


if __name__ == "__main__":
    main(sys.argv[1])

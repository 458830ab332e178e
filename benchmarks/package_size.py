"""Size of the Lambda package `zappa package <stage>` builds, against Lambda's 50 MB limit for
a direct upload, and what takes the room.

    .venv/bin/python benchmarks/package_size.py [stage]
"""

import collections
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECT_UPLOAD_LIMIT = 50 * 1000 * 1000  # bytes, as AWS counts them
UNZIPPED_LIMIT = 250 * 1000 * 1000


def main() -> None:
    stage = sys.argv[1] if len(sys.argv) > 1 else "dev"
    archive = Path(tempfile.mkdtemp()) / f"{stage}.zip"
    subprocess.run(
        [str(ROOT / "scripts" / "package"), stage, str(archive)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    size = archive.stat().st_size
    with zipfile.ZipFile(archive) as zipped:
        entries = zipped.infolist()
    unzipped = sum(entry.file_size for entry in entries)
    by_top = collections.Counter()
    for entry in entries:
        by_top[entry.filename.split("/")[0]] += entry.compress_size

    print(
        f"zappa package {stage}: {size / 2**20:.1f} MiB zipped ({size / 1e6:.1f} MB), "
        f"{unzipped / 2**20:.1f} MiB unzipped, {len(entries)} files"
    )
    print(f"  ratio to the 50 MB direct-upload limit: {size / DIRECT_UPLOAD_LIMIT:.2f}")
    print(f"  ratio to the 250 MB unzipped limit:     {unzipped / UNZIPPED_LIMIT:.2f}")
    print("  largest top-level entries (zipped):")
    for name, compressed in by_top.most_common(10):
        print(f"    {compressed / 2**20:6.2f} MiB  {name}")


if __name__ == "__main__":
    main()

"""The Lambda build of Chromium (@sparticuz/chromium, successor of the book's
chrome-aws-lambda): brotli-compressed files shipped in a layer, unpacked into /tmp once per
cold start.

`scripts/chromium-lambda` builds the layer offline from the npm package; the files land in
`/opt/chromium` on Lambda (`CHROMIUM_LAMBDA_DIR`). The same build runs on this machine, so the
tests run the browser features against it too.
"""

import io
import os
import shutil
import stat
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

# The package's own flags for Lambda (no GPU, no /dev/shm, one process), minus
# --disable-web-security, which it also sets and we do not want.
LAMBDA_ARGS = [
    "--no-zygote",
    "--single-process",
    "--in-process-gpu",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
    "--font-render-hinting=none",
    "--disable-webgl",
    "--no-pings",
]

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <config></config>
</fontconfig>
"""

_unpack_lock = threading.Lock()


@dataclass(frozen=True)
class LambdaChromium:
    executable: str
    environment: dict[str, str]
    args: tuple[str, ...] = tuple(LAMBDA_ARGS)


def _brotli_bytes(path: Path) -> bytes:
    import brotli  # only the Lambda build needs it; loaded on its first launch

    return brotli.decompress(path.read_bytes())


def _extract(archive: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(_brotli_bytes(archive))) as tar:
        tar.extractall(into, filter="data")


def lambda_chromium_unpack(*, source_dir: Path, target_dir: Path) -> LambdaChromium:
    """Unpack the build from `source_dir` (chromium.br, al2023/swiftshader/fonts .tar.br) into
    `target_dir`, once: a warm container or a second driver reuses what is there."""
    executable = target_dir / "chromium"
    with _unpack_lock:
        if not executable.exists():
            staging = target_dir.with_name(target_dir.name + f".partial-{os.getpid()}")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            _extract(source_dir / "al2023.tar.br", staging / "al2023")
            # Next to the binary: Chromium looks for vk_swiftshader_icd.json in its own folder.
            _extract(source_dir / "swiftshader.tar.br", staging)
            _extract(source_dir / "fonts.tar.br", staging / "fonts")
            (staging / "fonts" / "fonts.conf").write_text(
                FONTS_CONF.format(
                    fonts=target_dir / "fonts" / "fonts", cache=target_dir / "fonts-cache"
                )
            )
            binary = staging / "chromium"
            binary.write_bytes(_brotli_bytes(source_dir / "chromium.br"))
            binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            # Whole or nothing: a cold start cut short never leaves half a browser behind.
            shutil.rmtree(target_dir, ignore_errors=True)
            staging.rename(target_dir)
    libraries = [str(target_dir / "al2023" / "lib"), str(target_dir)]
    if os.environ.get("LD_LIBRARY_PATH"):
        libraries.append(os.environ["LD_LIBRARY_PATH"])
    return LambdaChromium(
        executable=str(executable),
        environment={
            "LD_LIBRARY_PATH": ":".join(libraries),
            "FONTCONFIG_PATH": str(target_dir / "fonts"),
        },
    )

"""Zappa's callbacks (zappa_settings.json `callbacks`), so that plain `zappa deploy|update|...
<stage>` deploys the stage the right way: `settings` reads the stack's values into the
command, `zip` checks the package, `post` configures the mappings, migrates and calls /health
(README "How: Zappa's own callbacks"). Zappa loads this file by path, with the project not on
sys.path (docs/deploy.md "Zappa's callbacks").
"""

import sys
from pathlib import Path

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)


def settings(cli) -> None:
    from infra.hooks.on_settings import settings_apply

    settings_apply(cli)


def zip(cli) -> None:
    from infra.hooks.on_zip import package_check

    package_check(cli)


def post(cli) -> None:
    from infra.hooks.on_post import stage_finish

    stage_finish(cli)

"""The zip callback: Zappa built the package (deploy, update, package). Check what is in it,
and skip an update whose package and settings equal what the function already runs."""

import os
import sys

from infra.feedback import say


def package_check(cli) -> None:
    from click import ClickException

    from infra.package import deployed_digest, package_digest, package_errors

    steps = getattr(cli, "deploy_steps", None)
    if steps:
        steps.end()
    size = os.path.getsize(cli.zip_path) / 2**20
    say(f"  package {os.path.basename(cli.zip_path)}: {size:.1f} MiB zipped")
    errors = package_errors(cli.zip_path)
    if errors:
        if steps:
            steps.abandon()
        raise ClickException("the package is not fit to ship: " + "; ".join(errors))
    if cli.command == "package":
        return
    digest = package_digest(cli.zip_path, settings=getattr(cli, "deploy_fingerprint", {}))
    cli.deploy_package_digest = digest
    if cli.command == "update" and not os.environ.get("ZAPPA_FORCE_UPDATE"):
        if deployed_digest(cli.lambda_name) == digest:
            os.remove(cli.zip_path)
            say(
                f"{cli.lambda_name}: package and settings unchanged since the last deploy, "
                "nothing to update (ZAPPA_FORCE_UPDATE=1 updates anyway)"
            )
            if steps:
                say(f"  steps: {steps.summary()}")
            sys.exit(0)
    if steps:
        steps.begin("upload and function update (Zappa)")

"""`scripts/deploy <stage>`: the infrastructure stack, then `zappa deploy` (first time) or
`zappa update` of each function of the stage. A short alias: everything about a function
happens in Zappa's callbacks (infra/hooks), so plain `zappa update dev` is the same deploy.

    scripts/deploy dev                  the stack, then zappa deploy|update of each function
    scripts/deploy dev --infra-only     the stack alone (what a refused `zappa update` asks for)
    scripts/deploy prod --dry-run       the stack's change set, nothing changes
    scripts/deploy preview-pr-42        a preview derived from dev (Zappa refuses stage names
                                        its settings file lacks: a generated file under var/)
    scripts/deploy destroy preview-pr-42 [--yes]
"""

import argparse
import sys

from config.stage_checks.settings_file import StageSettingsError, zappa_settings_load
from config.stage_checks.stage import stage_errors
from infra.feedback import DeployError, Steps, say
from infra.stack import aws_client, stack_apply, stack_status, template_digest
from infra.stages import (
    StageError,
    consumer_timeout_seconds,
    function_stages,
    lambda_function_name,
    stage_settings_with_preview,
    zappa_stage_name,
)
from infra.template import (
    DATABASE_ENGINES,
    stack_name,
    template_parameters,
    template_render,
)
from infra.zappa_command import PROJECT_ROOT, function_exists, settings_file_args, zappa_run


def stack_parameter(stage: str, key: str) -> str | None:
    """The value the stage's stack was last deployed with; None without a stack."""
    stack = stack_status(cloudformation=aws_client("cloudformation"), name=stack_name(stage))
    return {
        parameter["ParameterKey"]: parameter["ParameterValue"]
        for parameter in (stack or {}).get("Parameters", [])
    }.get(key)


def existing_database_for_stack(stage: str, requested: bool | None) -> bool:
    """Without --existing-database a stage keeps what its stack has (a new one gets its own
    database); turning it on for a stack with its own database would delete that database."""
    current = stack_parameter(stage, "UseExistingDatabase")
    if current == "false" and requested:
        raise DeployError(
            f"stack {stack_name(stage)} has its own database: --existing-database would "
            f"delete it and its data. Dump it into the other database first, then destroy "
            f"and deploy the stage again."
        )
    if requested is None:
        return current == "true"
    return requested


def nat_gateway_for_stack(stage: str, requested: bool | None) -> bool:
    """Without --nat/--no-nat a stage keeps what its stack has (a new one has none, for its
    idle cost): a deploy that forgot the flag must not cut the browser off the internet."""
    if requested is None:
        return stack_parameter(stage, "UseNatGateway") == "true"
    return requested


def engine_for_stack(stage: str, requested: str | None) -> str:
    """A new stack gets the engine asked for (postgres by default); an existing one keeps its
    own: another engine would replace the database, and its data with it."""
    current = stack_parameter(stage, "DatabaseEngine")
    if current and requested and requested != current:
        raise DeployError(
            f"stack {stack_name(stage)} runs its database on {current}: moving it to "
            f"{requested} would replace the database and lose its data. Dump and restore it "
            f"into a new stage instead."
        )
    return current or requested or DATABASE_ENGINES[0]


def infrastructure_apply(
    *, stage: str, settings: dict, dry_run: bool, existing_database, nat, engine
) -> None:
    timeout = consumer_timeout_seconds(settings, main=zappa_stage_name(stage))
    stack_apply(
        stage=stage,
        template=template_render(stage=stage, consumer_timeout_seconds=timeout),
        parameters=template_parameters(
            stage=stage,
            use_existing_database=existing_database_for_stack(stage, existing_database),
            use_nat_gateway=nat_gateway_for_stack(stage, nat),
            database_engine=engine_for_stack(stage, engine),
        ),
        digest=template_digest(stage=stage, consumer_timeout_seconds=timeout),
        dry_run=dry_run,
    )


def deploy(
    *,
    stage: str,
    infra_only: bool = False,
    dry_run: bool = False,
    existing_database: bool | None = None,
    nat: bool | None = None,
    engine: str | None = None,
) -> None:
    committed = zappa_settings_load(PROJECT_ROOT / "zappa_settings.json")
    settings = stage_settings_with_preview(committed, stage=stage)
    # The web function last: its post callback migrates and calls /health once the
    # consumers run the same code.
    main, *functions = function_stages(settings, stage=stage)
    names = [*functions, main]
    errors = [f"{name}: {error}" for name in names for error in stage_errors(settings, name)]
    if errors:
        raise DeployError("the stage checks fail:\n  " + "\n  ".join(errors))
    steps = Steps()
    with steps.step(f"infrastructure: stack {stack_name(stage)}"):
        infrastructure_apply(
            stage=stage,
            settings=settings,
            dry_run=dry_run,
            existing_database=existing_database,
            nat=nat,
            engine=engine,
        )
    if dry_run or infra_only:
        return
    settings_args = settings_file_args(settings, committed=committed, stage=stage)
    for name in names:
        verb = "update" if function_exists(lambda_function_name(name)) else "deploy"
        with steps.step(f"zappa {verb} {name}"):
            zappa_run(verb, name, *settings_args)
    say(f"stage {stage} deployed: {steps.summary()}")


def main(argv: list[str] | None = None) -> int:
    from infra.destroy import destroy

    parser = argparse.ArgumentParser(
        prog="scripts/deploy", description="Deploy a stage, or `destroy <stage>`."
    )
    parser.add_argument("stage", help="dev, staging, prod, preview-<name>; or `destroy`")
    parser.add_argument("destroy_stage", nargs="?", help="with `destroy`: the stage")
    parser.add_argument("--infra-only", action="store_true", help="apply the stack only")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument(
        "--existing-database",
        action="store_true",
        default=None,
        help="no RDS in the stack: DATABASE_URL is in the stage secret "
        "(when the stack is created; later deploys keep it)",
    )
    parser.add_argument(
        "--nat",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a NAT gateway, for functions that reach the internet (--no-nat removes it); "
        "without either, an existing stack keeps what it has",
    )
    parser.add_argument(
        "--database-engine",
        choices=DATABASE_ENGINES,
        help="the stack's database, when it is created (default postgres); "
        "an existing stack keeps its own",
    )
    parser.add_argument("--yes", action="store_true", help="destroy without asking")
    args = parser.parse_args(argv)
    try:
        if args.stage == "destroy":
            if not args.destroy_stage:
                parser.error("usage: scripts/deploy destroy <stage> [--yes]")
            destroy(stage=args.destroy_stage, yes=args.yes)
        else:
            if args.destroy_stage:
                parser.error(f"unexpected argument {args.destroy_stage}")
            deploy(
                stage=args.stage,
                infra_only=args.infra_only,
                dry_run=args.dry_run,
                existing_database=args.existing_database,
                nat=args.nat,
                engine=args.database_engine,
            )
    except (DeployError, StageError, StageSettingsError) as exc:
        print(f"scripts/deploy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

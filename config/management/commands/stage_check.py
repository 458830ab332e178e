"""`manage.py stage_check <stage>`: the stage checks (config/stage_checks/) over Zappa's
settings file, plus Django's deploy checks when this process runs that stage's settings."""

from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError

from config.stage_checks.environment import stage_transport
from config.stage_checks.settings_file import (
    StageSettingsError,
    stage_env_file_values,
    stage_resolve,
    zappa_settings_load,
)
from config.stage_checks.stage import stage_errors
from config.stage_checks.system_check import (
    DEPLOY_CHECK_IDS,
    process_errors,
    zappa_settings_file,
)


class Command(BaseCommand):
    help = (
        "Check a stage's deployment settings: its stage in zappa_settings.json resolved as "
        "Zappa resolves `extends` (base keys lost, cleanup and stall-watch schedules, queue "
        "ARNs never typed in; with --generated, every pipeline queue has exactly one "
        "consumer), then Django's `check --deploy` when this process runs that stage's "
        'settings (e.g. `scripts/zappa manage <stage> "stage_check <stage>"`). Exits 1 when '
        "anything fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("stage", help="a stage of the settings file, e.g. prod")
        parser.add_argument(
            "--settings-file",
            help="Zappa settings file to check (default: the committed zappa_settings.json)",
        )
        parser.add_argument(
            "--generated",
            action="store_true",
            help="the file has the stack's values filled in (queue ARNs and URLs, as the "
            "settings callback fills them in at deploy), so each queue's consumer mapping "
            "is checked",
        )
        parser.add_argument(
            "--settings-only",
            action="store_true",
            help="check the settings file only, not Django's deploy checks (a build machine "
            "without the stage's secrets: scripts/zappa deploy|update)",
        )

    def handle(self, *args, stage, settings_file, generated, settings_only, **options):
        path = Path(settings_file) if settings_file else zappa_settings_file()
        problems = self._settings_file_problems(path, stage, generated=generated)
        if settings_only:
            self.stdout.write("Django's deploy checks: not run (--settings-only)")
        elif getattr(settings, "STAGE", None) != stage:
            self.stdout.write(
                f"Django's deploy checks: not run (this process runs stage "
                f"'{getattr(settings, 'STAGE', None)}' settings; run `scripts/zappa manage "
                f'{stage} "stage_check {stage}"` to check the deployed function)'
            )
        else:
            problems += self._django_deploy_problems()
        if problems:
            raise CommandError(f"stage '{stage}' is not fit to deploy: {len(problems)} problem(s)")

    def _settings_file_problems(self, path: Path, stage: str, *, generated: bool) -> list:
        try:
            zappa_settings = zappa_settings_load(path)
            env_file_values = stage_env_file_values(stage)
            problems = stage_errors(
                zappa_settings, stage, generated=generated, env_file_values=env_file_values
            )
        except StageSettingsError as exc:
            raise CommandError(str(exc)) from None
        kind = "generated" if generated else "committed"
        self._report(f"Stage '{stage}' in {path} ({kind})", problems, prefix="ERROR ")
        if (
            not generated
            and not problems
            and stage_transport(stage_resolve(zappa_settings, stage), env_file_values) == "sqs"
        ):
            self.stdout.write(
                "  NOTE the pipeline queues' ARNs and URLs are not in this file: at `zappa "
                f"deploy|update {stage}_workers` the settings callback fills them in from "
                f"the stack's outputs (`scripts/deploy {stage} --infra-only` creates the "
                "stack), and the post callback checks each queue has one consumer"
            )
        return problems

    def _django_deploy_problems(self) -> list:
        """Django's `check --deploy` (warnings count: docs/contract.md §4 wants it to report
        nothing); the stage checks' own system check ran above, with their file."""
        found = checks.run_checks(include_deployment_checks=True)
        messages = [checks.Error(text, id="config.E001") for text in process_errors()] + [
            message
            for message in found
            if message.id not in DEPLOY_CHECK_IDS
            and message.level >= checks.WARNING
            and not message.is_silenced()
        ]
        self._report("Django's deploy checks", messages)
        return messages

    def _report(self, title: str, problems: list, *, prefix: str = "") -> None:
        self.stdout.write(f"{title}: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
        for problem in problems:
            label = prefix or f"{type(problem).__name__.upper()} "
            self.stdout.write(f"  {label}{problem}")

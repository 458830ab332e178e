"""`manage.py pipelines_cleanup`: the scheduled cleanup job (design §3.5), now."""

from django.core.management.base import BaseCommand, CommandError

from pipelines.services import runs_cleanup


class Command(BaseCommand):
    help = (
        "Run the pipeline cleanup job now, as its schedule would: re-drive pending runs that "
        "made no progress for PIPELINE_STALL_AFTER_SECONDS, fail those re-driven "
        "PIPELINE_MAX_REDRIVES times already. Prints the runs it touched."
    )

    def handle(self, *args, **options):
        try:
            summary = runs_cleanup()
        except Exception as exc:  # database or queue down: say so, exit non-zero
            raise CommandError(f"pipeline cleanup failed: {exc}") from exc
        redriven, failed = summary["redriven"], summary["failed"]
        self.stdout.write(f"Re-drove {len(redriven)} stalled run(s)"
                          + (f": {', '.join(redriven)}" if redriven else "."))
        self.stdout.write(f"Failed {len(failed)} hopeless run(s)"
                          + (f": {', '.join(failed)}" if failed else "."))

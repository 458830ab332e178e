"""`manage.py pipelines_cleanup`: the scheduled cleanup job (docs/pipelines.md), now."""

from django.core.management.base import BaseCommand, CommandError

from pipelines.services.cleanup import runs_cleanup


class Command(BaseCommand):
    help = (
        "Run the pipeline cleanup job now, as its schedule would: send runs the queue never "
        "got, re-drive pending runs that made no progress for PIPELINE_STALL_AFTER_SECONDS "
        "(leaving runs that wait behind a backlog), fail those re-driven PIPELINE_MAX_REDRIVES "
        "times already, drop old finished runs' input, delete uploads that started no run within "
        "PIPELINE_UPLOAD_EXPIRE_HOURS (file and row). Prints the runs it touched; exits "
        "non-zero when a run could not be handled."
    )

    def handle(self, *args, **options):
        try:
            summary = runs_cleanup()
        except Exception as exc:  # the database is down: say so, exit non-zero
            raise CommandError(f"pipeline cleanup failed: {exc}") from exc
        for key, verb in (
            ("sent", "Sent"),
            ("redriven", "Re-drove"),
            ("failed", "Failed"),
            ("waiting", "Left waiting behind a backlog"),
        ):
            runs = summary[key]
            self.stdout.write(
                f"{verb} {len(runs)} run(s)" + (f": {', '.join(runs)}" if runs else ".")
            )
        self.stdout.write(f"Purged the input of {summary['purged']} finished run(s).")
        self.stdout.write(f"Expired {summary['expired_uploads']} unstarted upload(s).")
        if summary["errors"]:
            for run_id, error in summary["errors"].items():
                self.stderr.write(f"run {run_id}: {error}")
            raise CommandError(
                f"pipeline cleanup failed for {len(summary['errors'])} run(s); "
                "the others were handled"
            )

"""`manage.py deadletters list|replay|drop|fetch`: the dead-letter admin's actions
(pipelines/admin.py) for a terminal or `zappa manage`, through the same services."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from pipelines.models import DeadLetter, RunState
from pipelines.services.dead_letters import (
    dead_letter_drop,
    dead_letter_replay,
    sqs_dead_letters_fetch,
)

SELECTION_HELP = "dead letters by id, by --run, or --all of them (one of the three)"


def letter_state(letter: DeadLetter) -> str:
    """`resolved` once its run finished (replaying it would change nothing), else `open`."""
    resolved = letter.resolved_at or (letter.run_id and letter.run.state == RunState.DONE)
    return "resolved" if resolved else "open"


class Command(BaseCommand):
    help = (
        "Pipeline dead letters: `list` them, `replay` (send each message to its step again, "
        "then forget it) or `drop` (forget it) by id, by run (--run) or all (--all), or "
        "`fetch` the SQS dead-letter queues' messages into the list. Never prompts."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = actions.add_parser(
            "list",
            help="a table: id, run, step, attempts, created, state (resolved: its run finished)",
        )
        listing.add_argument("--run", help="only this run's letters (its id)")
        listing.add_argument(
            "--limit",
            type=int,
            default=100,
            help="show at most this many, newest first (default 100)",
        )
        for name, what in (
            ("replay", "send the selected messages to their step again, then forget them"),
            ("drop", "forget the selected messages"),
        ):
            action = actions.add_parser(name, help=what, description=f"{what}: {SELECTION_HELP}")
            action.add_argument("ids", nargs="*", type=int, metavar="ID", help="dead letter ids")
            action.add_argument("--run", help="every dead letter of this run (its id)")
            action.add_argument(
                "--all",
                action="store_true",
                help="every dead letter (must be asked for explicitly)",
            )
        actions.add_parser(
            "fetch",
            help="move the SQS dead-letter queues' messages into the "
            "list (as the admin's button does)",
        )

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    # --- list ---

    def handle_list(self, *, run, limit, **options):
        letters = DeadLetter.objects.select_related("run").order_by("-created_at", "-id")
        if run:
            letters = letters.filter(run_id=_run_id(run))
        total = letters.count()
        rows = [
            (
                str(letter.pk),
                str(letter.run_id or "—"),
                letter.step,
                str(letter.attempts),
                letter.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                letter_state(letter),
            )
            for letter in letters[:limit]
        ]
        header = ("id", "run", "step", "attempts", "created", "state")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        self.stdout.write(f"{len(rows)} of {total} dead letter(s)")

    # --- replay / drop ---

    def _selected(self, *, ids, run, all, **options) -> list[DeadLetter]:
        chosen = [bool(ids), bool(run), bool(all)]
        if sum(chosen) != 1:
            raise CommandError(f"say which: {SELECTION_HELP}")
        letters = DeadLetter.objects.order_by("id")
        if all:
            return list(letters)
        if run:
            return list(letters.filter(run_id=_run_id(run)))
        found = list(letters.filter(pk__in=ids))
        missing = sorted(set(ids) - {letter.pk for letter in found})
        if missing:
            raise CommandError(
                f"no dead letter with id {', '.join(map(str, missing))}; nothing was done"
            )
        return found

    def handle_replay(self, **options):
        failures = []
        replayed = 0
        for letter in self._selected(**options):
            pk = letter.pk  # the service deletes the letter
            try:
                dead_letter_replay(dead_letter=letter)
            except Exception as exc:  # the queue is down: the letter stays, say why
                failures.append(f"dead letter {pk}: {exc}")
                continue
            replayed += 1
            self.stdout.write(
                f"Replayed dead letter {pk} ({letter.step}, run {letter.run_id or '—'})"
            )
        self.stdout.write(f"Replayed {replayed} dead letter(s).")
        if failures:
            raise CommandError(
                f"{len(failures)} dead letter(s) not replayed (kept): " + "; ".join(failures)
            )

    def handle_drop(self, **options):
        dropped = 0
        for letter in self._selected(**options):
            pk = letter.pk
            dead_letter_drop(dead_letter=letter)
            dropped += 1
            self.stdout.write(
                f"Dropped dead letter {pk} ({letter.step}, run {letter.run_id or '—'})"
            )
        self.stdout.write(f"Dropped {dropped} dead letter(s).")

    # --- fetch ---

    def handle_fetch(self, **options):
        try:
            fetched = sqs_dead_letters_fetch()
        except Exception as exc:
            raise CommandError(f"could not read the SQS dead-letter queues: {exc}") from exc
        self.stdout.write(f"Fetched {fetched} message(s) from the SQS dead-letter queues.")


def _run_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"--run must be a run id (a UUID), not {value!r}") from None

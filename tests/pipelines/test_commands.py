"""The operator's pipeline commands (docs/contract.md §4.1): cleanup now, dead letters list/replay/drop/
fetch, by call_command, as a real `manage.py` process and through Zappa's `manage` event."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipelines import exact_json
from pipelines.models import DeadLetter, PipelineRun
from pipelines.services.dead_letters import dead_letter_store
from tests.helpers.pipelines import PROJECT_ROOT, database_url, run_start_in_packets

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def lose_map_messages(sqs_lambda) -> list[str]:
    """Take every queued map message away (as a crashed consumer would lose them)."""
    queue = sqs_lambda.queues["map"]
    bodies = []
    while messages := sqs_lambda.client.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=10
    ).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs_lambda.client.delete_message(
                QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"]
            )
    return bodies


@pytest.fixture
def lost_letters(sqs_lambda, user):
    """Two runs whose map messages ended as dead letters: 2 letters of run A, 1 of run B."""
    run_a = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=[1, 2], packet_size=1
    ).run
    run_b = run_start_in_packets(owner=user, pipeline="sumArray", elements=[10], packet_size=1).run
    letters = [
        dead_letter_store(source="celery", step="map", body=body, error="boom", attempts=10)
        for body in lose_map_messages(sqs_lambda)
    ]
    return run_a, run_b, sorted(letters, key=lambda letter: letter.pk)


# --- pipelines_cleanup ------------------------------------------------------------------------


def test_cleanup_now_redrives_a_stalled_run_and_says_so(sqs_lambda, user, settings):
    # Given a run whose only map message was lost
    run_ = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=[1, 2, 3], packet_size=3
    ).run
    lose_map_messages(sqs_lambda)
    assert run("pipelines_cleanup") == (
        "Sent 0 run(s).\nRe-drove 0 run(s).\n"
        "Failed 0 run(s).\n"
        "Left waiting behind a backlog 0 run(s).\n"
        "Purged the input of 0 finished run(s).\n"
        "Expired 0 unstarted upload(s).\n"
    )

    # When the cleanup runs now, past the stall time
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    output = run("pipelines_cleanup")

    # Then the run was re-driven, and finishes
    assert f"Re-drove 1 run(s): {run_.id}\nFailed 0 run(s).\n" in output
    sqs_lambda.drain()
    run_.refresh_from_db()
    assert (run_.state, exact_json.loads(run_.result.value_json)) == ("done", 12)


def test_cleanup_now_fails_a_hopeless_run(sqs_lambda, user, settings):
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    settings.PIPELINE_MAX_REDRIVES = 0
    run_ = run_start_in_packets(owner=user, pipeline="sumArray", elements=[1], packet_size=1).run
    lose_map_messages(sqs_lambda)

    assert f"Failed 1 run(s): {run_.id}\n" in run("pipelines_cleanup")
    assert PipelineRun.objects.get(id=run_.id).state == "failed"


def test_cleanup_fails_loudly_when_the_queue_is_down(user, settings):
    # Given a run the queue never got, which cannot be queued now either (no queue URL)
    settings.PIPELINE_UNSENT_AFTER_SECONDS = 0
    started = run_start_in_packets(owner=user, pipeline="sumArray", elements=[1], packet_size=1)
    assert started.queued is False

    with pytest.raises(CommandError, match=r"pipeline cleanup failed for 1 run\(s\)"):
        run("pipelines_cleanup")


# --- deadletters list -------------------------------------------------------------------------


def test_list_shows_a_table_of_the_letters_with_their_state(lost_letters, sqs_lambda):
    _, run_b, letters = lost_letters
    output = run("deadletters", "list")
    lines = output.splitlines()
    assert lines[0].split() == ["id", "run", "step", "attempts", "created", "state"]
    assert len(lines) == 1 + 3 + 1
    assert lines[-1] == "3 of 3 dead letter(s)"
    by_id = {line.split()[0]: line.split() for line in lines[1:-1]}
    first = by_id[str(letters[0].pk)]
    assert first[1:4] == [str(letters[0].run_id), "map", "10"]
    assert first[-1] == "open"

    # A letter whose run finished anyway is resolved (replaying it would change nothing)
    call_command("deadletters", "replay", "--run", str(run_b.id), stdout=io.StringIO())
    sqs_lambda.drain()
    dead_letter_store(
        source="celery",
        step="map",
        body=exact_json.dumps(
            {
                "step": "map",
                "pipeline": "sumArray",
                "runId": str(run_b.id),
                "packet": 0,
                "elements": [10],
            }
        ),
    )
    only_b = run("deadletters", "list", "--run", str(run_b.id)).splitlines()
    assert only_b[1].split()[-1] == "resolved"
    assert only_b[-1] == "1 of 1 dead letter(s)"


# --- deadletters replay / drop ---------------------------------------------------------------


def test_replay_by_id_sends_the_message_again_and_forgets_the_letter(lost_letters, sqs_lambda):
    run_a, run_b, letters = lost_letters
    chosen = [letter for letter in letters if letter.run_id == run_a.id]

    output = run("deadletters", "replay", *[str(letter.pk) for letter in chosen])

    assert output.splitlines()[-1] == "Replayed 2 dead letter(s)."
    assert f"Replayed dead letter {chosen[0].pk} (map, run {run_a.id})" in output
    assert set(DeadLetter.objects.values_list("run_id", flat=True)) == {run_b.id}
    sqs_lambda.drain()
    run_a.refresh_from_db()
    assert (run_a.state, exact_json.loads(run_a.result.value_json)) == ("done", 6)


def test_replay_by_run_and_all(lost_letters, sqs_lambda):
    _, run_b, _ = lost_letters
    assert run("deadletters", "replay", "--run", str(run_b.id)).endswith(
        "Replayed 1 dead letter(s).\n"
    )
    assert run("deadletters", "replay", "--all").endswith("Replayed 2 dead letter(s).\n")
    assert not DeadLetter.objects.exists()
    sqs_lambda.drain()
    assert set(PipelineRun.objects.values_list("state", flat=True)) == {"done"}


def test_drop_by_id_by_run_and_all(lost_letters):
    _, run_b, letters = lost_letters
    assert run("deadletters", "drop", str(letters[0].pk)).splitlines() == [
        f"Dropped dead letter {letters[0].pk} (map, run {letters[0].run_id})",
        "Dropped 1 dead letter(s).",
    ]
    assert run("deadletters", "drop", "--run", str(run_b.id)).endswith(
        "Dropped 1 dead letter(s).\n"
    )
    assert run("deadletters", "drop", "--all").endswith("Dropped 1 dead letter(s).\n")
    assert not DeadLetter.objects.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "say which: dead letters by id, by --run, or --all of them"),
        (["1", "--all"], "say which"),
        (["--run", "not-a-uuid"], "--run must be a run id"),
    ],
)
def test_replay_and_drop_need_one_explicit_selection(lost_letters, args, message):
    for action in ("replay", "drop"):
        with pytest.raises(CommandError, match=message):
            run("deadletters", action, *args)
    assert DeadLetter.objects.count() == 3


def test_an_unknown_id_does_nothing_and_fails(lost_letters):
    _, _, letters = lost_letters
    with pytest.raises(CommandError, match="no dead letter with id 999999; nothing was done"):
        run("deadletters", "drop", str(letters[0].pk), "999999")
    assert DeadLetter.objects.count() == 3


def test_a_replay_the_queue_refuses_keeps_the_letter_and_fails(lost_letters, settings):
    settings.PIPELINE_QUEUE_URLS = {}  # the queue is unknown: sending fails

    with pytest.raises(CommandError, match=r"3 dead letter\(s\) not replayed \(kept\)"):
        run("deadletters", "replay", "--all")
    assert DeadLetter.objects.count() == 3


# --- deadletters fetch ------------------------------------------------------------------------


def test_fetch_moves_the_sqs_dead_letter_queues_into_the_list(sqs_lambda, user):
    run_ = run_start_in_packets(owner=user, pipeline="sumArray", elements=[7], packet_size=1).run
    body = lose_map_messages(sqs_lambda)[0]
    sqs = sqs_lambda.client
    sqs.send_message(QueueUrl=sqs_lambda.queues["map"].dlq_url, MessageBody=body)

    assert run("deadletters", "fetch") == (
        "Fetched 1 message(s) from the SQS dead-letter queues.\n"
    )
    assert list(DeadLetter.objects.values_list("run_id", "source")) == [(run_.id, "sqs")]


# --- as an operator runs them -----------------------------------------------------------------


def manage(*args, **environment) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.django.test",
            "DATABASE_URL": database_url(),
            **environment,
        },
    )


def test_as_a_manage_py_process(lost_letters):
    _, _, letters = lost_letters

    listing = manage("deadletters", "list")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines()[-1] == "3 of 3 dead letter(s)"

    dropped = manage("deadletters", "drop", str(letters[0].pk))
    assert dropped.returncode == 0, dropped.stderr
    assert DeadLetter.objects.count() == 2

    refused = manage("deadletters", "drop")
    assert refused.returncode == 1
    assert "say which: dead letters by id, by --run, or --all" in refused.stderr
    assert DeadLetter.objects.count() == 2

    helped = manage("deadletters", "replay", "--help")
    assert helped.returncode == 0
    assert "every dead letter (must be asked for explicitly)" in helped.stdout


def test_through_zappas_manage_event(lost_letters, lambda_for_stage, capsys):
    """`scripts/zappa manage dev "deadletters drop --all"` invokes the function with this
    event; Zappa splits the string on spaces and calls call_command."""
    lambda_ = lambda_for_stage("dev")

    assert lambda_.invoke({"manage": "deadletters drop --all"}) == {}
    assert "Dropped 3 dead letter(s)." in capsys.readouterr().out
    assert not DeadLetter.objects.exists()

    # A failure raises out of the function, so `zappa manage` exits non-zero
    with pytest.raises(CommandError, match="say which"):
        lambda_.invoke({"manage": "deadletters replay"})

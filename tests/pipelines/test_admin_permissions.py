"""The backoffice's actions check the permission they stand for (docs/contract.md §5): replay
and re-drive need change, drop needs delete, fetching the SQS dead-letter queues needs
`fetch_sqs_deadletter`, the pulse page needs view. Each case is a staff user holding exactly
the permissions named, beside a superuser."""

import pytest
from django.contrib.auth.models import Permission

from pipelines.models import DeadLetter, PipelineRun
from pipelines.services.dead_letters import dead_letter_store
from tests.helpers.pipelines import run_start_in_packets

pytestmark = pytest.mark.django_db(transaction=True)

BODY = '{"step":"map","pipeline":"sumArray","runId":"not-a-uuid","packet":0,"elements":[1]}'


@pytest.fixture
def staff_client(client, make_user):
    """`staff_client("pipelines.view_deadletter", ...)`: signed in as a staff user holding
    exactly these permissions; `staff_client(superuser=True)` as a superuser."""

    def sign_in(*permissions: str, superuser: bool = False):
        user = make_user("operator", is_staff=True, is_superuser=superuser)
        for permission in permissions:
            app_label, codename = permission.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client.force_login(user)
        return client

    return sign_in


def letter_action(client, action: str, letter: DeadLetter):
    return client.post(
        "/admin/pipelines/deadletter/", {"action": action, "_selected_action": [letter.pk]}
    )


@pytest.mark.parametrize(
    ("permissions", "superuser", "replayed"),
    [
        (["pipelines.view_deadletter"], False, False),
        (["pipelines.delete_deadletter"], False, False),
        (["pipelines.fetch_sqs_deadletter"], False, False),
        (["pipelines.change_deadletter"], False, True),
        ([], True, True),
    ],
)
def test_replay_needs_the_change_permission(
    staff_client, sqs_queues, sqs_lambda, permissions, superuser, replayed
):
    letter = dead_letter_store(source="celery", step="map", body=BODY, attempts=10)
    client = staff_client(*permissions, superuser=superuser)

    listing = client.get("/admin/pipelines/deadletter/").content.decode()
    letter_action(client, "replay", letter)

    assert DeadLetter.objects.filter(pk=letter.pk).exists() is not replayed
    assert sqs_lambda.depth("map") == (1 if replayed else 0)
    assert ('value="replay"' in listing) is replayed


@pytest.mark.parametrize(
    ("permissions", "superuser", "dropped"),
    [
        (["pipelines.view_deadletter"], False, False),
        (["pipelines.change_deadletter"], False, False),
        (["pipelines.delete_deadletter"], False, False),  # not even the list without view
        (["pipelines.view_deadletter", "pipelines.delete_deadletter"], False, True),
        ([], True, True),
    ],
)
def test_drop_needs_the_delete_permission(staff_client, permissions, superuser, dropped):
    letter = dead_letter_store(source="celery", step="map", body=BODY, attempts=10)
    client = staff_client(*permissions, superuser=superuser)

    letter_action(client, "drop", letter)

    assert DeadLetter.objects.filter(pk=letter.pk).exists() is not dropped


@pytest.mark.parametrize(
    ("permissions", "superuser", "fetched"),
    [
        (["pipelines.view_deadletter"], False, False),
        (["pipelines.change_deadletter"], False, False),
        (["pipelines.delete_deadletter"], False, False),
        (["pipelines.fetch_sqs_deadletter"], False, True),
        ([], True, True),
    ],
)
def test_fetching_the_sqs_dead_letter_queues_needs_its_own_permission(
    staff_client, sqs_lambda, permissions, superuser, fetched
):
    sqs_lambda.client.send_message(QueueUrl=sqs_lambda.queues["map"].dlq_url, MessageBody=BODY)
    client = staff_client(*permissions, superuser=superuser)

    response = client.post("/admin/pipelines/deadletter/fetch-sqs/")

    assert response.status_code == (302 if fetched else 403)
    assert DeadLetter.objects.filter(source="sqs").exists() is fetched
    assert sqs_lambda.depth("map", dead=True) == (0 if fetched else 1)


def test_the_fetch_button_shows_only_with_the_permission(staff_client):
    client = staff_client("pipelines.view_deadletter")

    listing = client.get("/admin/pipelines/deadletter/").content.decode()

    assert "Fetch from SQS dead-letter queues" not in listing


@pytest.mark.parametrize(
    ("permissions", "superuser", "redriven"),
    [
        (["pipelines.view_pipelinerun"], False, False),
        (["pipelines.delete_pipelinerun"], False, False),
        (["pipelines.change_pipelinerun"], False, True),
        ([], True, True),
    ],
)
def test_redrive_needs_the_change_permission(
    staff_client, sqs_lambda, user, permissions, superuser, redriven
):
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=[1, 2], packet_size=1).run
    sqs_lambda.client.purge_queue(QueueUrl=sqs_lambda.queues["map"].url)
    client = staff_client(*permissions, superuser=superuser)

    client.post(
        "/admin/pipelines/pipelinerun/", {"action": "redrive", "_selected_action": [run.pk]}
    )

    assert PipelineRun.objects.get(pk=run.pk).redrive_count == (1 if redriven else 0)
    assert sqs_lambda.depth("map") == (2 if redriven else 0)


@pytest.mark.parametrize(
    ("permissions", "superuser", "status"),
    [
        ([], False, 403),
        (["monitoring.view_alarmincident"], False, 403),
        (["monitoring.view_metricminute"], False, 200),
        ([], True, 200),
    ],
)
def test_the_pulse_page_needs_the_view_permission(staff_client, permissions, superuser, status):
    client = staff_client(*permissions, superuser=superuser)

    response = client.get("/admin/monitoring/metricminute/")

    assert response.status_code == status
    assert ("Pulse" in response.content.decode()) is (status == 200)

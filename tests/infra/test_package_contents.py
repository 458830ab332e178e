"""What ships and what a rollback compares, without building a package."""

import io
import zipfile

from infra.rollback import settings_differences
from infra.runtime_packages import development_only_names, runtime_distributions


def test_runtime_distributions_are_the_closure_of_the_project_dependencies():
    runtime = runtime_distributions(["django", "psycopg[binary]"])

    assert {"django", "asgiref", "sqlparse", "psycopg", "psycopg-binary"} <= runtime
    assert not {"pytest", "moto"} & runtime


def test_development_tools_of_the_active_virtualenv_are_excluded_and_runtime_ones_kept():
    names = set(development_only_names())

    assert {"pytest", "_pytest", "moto", "cfnlint", "sympy", "hypothesis", "ruff"} <= names
    assert not {"django", "rest_framework", "zappa", "psycopg", "whitenoise"} & names
    # pyppeteer is installed without its capped dependencies (requirements/no-deps.txt), yet
    # it runs on the browser function
    assert not {"pyppeteer", "websockets", "pyee", "urllib3"} & names
    # the project's own folders are never excluded, whatever a distribution calls its module
    assert not {"config", "infra", "items", "pipelines", "tests"} & names


def package_with(environment: dict, mapping: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr(
            "zappa_settings.py",
            f"API_STAGE='dev'\nENVIRONMENT_VARIABLES={environment}\nAWS_EVENT_MAPPING={mapping}\n",
        )
    return buffer.getvalue()


def test_a_rollback_to_a_package_with_other_settings_names_what_differs():
    expected = {
        "ENVIRONMENT_VARIABLES": {"STAGE": "dev", "MEDIA_BUCKET": "media-2"},
        "AWS_EVENT_MAPPING": {"arn:aws:sqs:us-east-1:1:map": ["consume_map"]},
    }
    older = package_with({"STAGE": "dev", "MEDIA_BUCKET": "media-1"}, {})

    assert settings_differences(older, expected=expected) == [
        "ENVIRONMENT_VARIABLES[MEDIA_BUCKET]",
        "AWS_EVENT_MAPPING[arn:aws:sqs:us-east-1:1:map]",
    ]
    same = package_with(expected["ENVIRONMENT_VARIABLES"], expected["AWS_EVENT_MAPPING"])
    assert settings_differences(same, expected=expected) == []

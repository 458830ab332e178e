"""config.cold_start_gc: rare collections while a Lambda process starts, then the default
thresholds with the start-up objects frozen, after the first response."""

import gc

import pytest
from django.core.signals import request_finished

from config.cold_start_gc import START_UP_THRESHOLD, collect_rarely_until_first_response


@pytest.fixture
def default_gc():
    thresholds = gc.get_threshold()
    yield thresholds
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_collections_are_rare_until_the_first_response_then_normal(default_gc):
    collect_rarely_until_first_response()
    collect_rarely_until_first_response()  # settings imported twice: still one hook

    during_start = gc.get_threshold()
    request_finished.send(sender=None)
    after_first = gc.get_threshold(), gc.get_freeze_count()
    request_finished.send(sender=None)

    assert during_start == (START_UP_THRESHOLD, *default_gc[1:])
    assert after_first[0] == default_gc
    assert after_first[1] > 0  # the start-up objects are out of the collector's sight
    assert gc.get_threshold() == default_gc
    assert gc.isenabled()


def test_the_lambda_settings_start_with_rare_collections():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "config/django/aws.py").read_text()

    assert source.index("collect_rarely_until_first_response()") < source.index(
        "from config.django.base import *"
    )

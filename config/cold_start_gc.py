"""Fewer garbage collections while a Lambda process starts (config.django.aws).

A cold start creates some 200 000 objects that live as long as the process (modules, classes,
models, the URLconf, the GraphQL schema) and almost no garbage; CPython's default threshold
(a collection every 700 new objects) scans them again and again: about 12 % of a cold start's
CPU (benchmarks/cold_start.py). Until the first response the threshold is raised (so
collection still happens, only rarely: a consumer Lambda that never serves HTTP is safe),
then the start-up objects are moved out of the collector's sight with `gc.freeze()` (the use
the Python documentation gives it) and the default thresholds come back.
"""

import gc

START_UP_THRESHOLD = 100_000


def collect_rarely_until_first_response() -> None:
    from django.core.signals import request_finished

    thresholds = gc.get_threshold()
    if thresholds[0] >= START_UP_THRESHOLD:
        return  # already done (settings imported twice)
    gc.set_threshold(START_UP_THRESHOLD, *thresholds[1:])

    def back_to_normal(**kwargs) -> None:
        request_finished.disconnect(back_to_normal)
        gc.freeze()
        gc.set_threshold(*thresholds)

    request_finished.connect(back_to_normal, weak=False)

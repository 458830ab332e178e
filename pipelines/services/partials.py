"""The map steps' common end: store a packet's partial once, then ask for a reduce."""

from django.db import IntegrityError, transaction

from pipelines import exact_json
from pipelines.messages import reduce_message
from pipelines.models import Packet, ScratchpadEntry
from pipelines.transports import messages_send


def partial_mapped(*, run_id, packet_index: int) -> bool:
    return ScratchpadEntry.objects.filter(run_id=run_id, packet_index=packet_index).exists()


def partial_store(*, run_id, packet_index: int, element_count: int, partial) -> bool:
    """Insert the packet's scratchpad row (unique per packet: its "mapped" mark); returns
    False when a concurrent duplicate delivery stored it first (which then counts once)."""
    try:
        with transaction.atomic():
            packet = Packet.objects.only("id").get(run_id=run_id, index=packet_index)
            ScratchpadEntry.objects.create(
                run_id=run_id,
                packet=packet,
                packet_index=packet_index,
                element_count=element_count,
                value_json=exact_json.dumps(partial),
            )
    except IntegrityError:
        return False
    return True


def reduce_after_commit(*, pipeline: str, run_id, request_id: str | None) -> None:
    """Queue a reduce once the caller's transaction commits. Sent whether or not this
    delivery stored the partial: a map that committed and then died before queueing its
    reduce (crash, queue error) is completed by its redelivery."""
    reduce = reduce_message(pipeline=pipeline, run_id=run_id, request_id=request_id)
    transaction.on_commit(lambda: messages_send([reduce]))

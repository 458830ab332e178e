"""A pipeline is a named map function plus an associative reduce function.

The map step applies `map_element` to every element of a packet and folds the packet with
`reduce` (a combiner), writing one partial per packet to the scratchpad; the reduce step
folds partials into the run's result. `reduce` must be associative with `empty` as its
identity, so packets may be combined in any grouping and order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class InvalidElement(ValueError):
    """An element the pipeline cannot take (a poison element in a message, or bad input)."""


@dataclass(frozen=True)
class Pipeline:
    name: str
    validate_element: Callable[[Any], Any]  # returns the element, or raises InvalidElement
    map_element: Callable[[Any], Any]
    reduce: Callable[[Any, Any], Any]
    empty: Callable[[], Any]  # the identity of `reduce`
    element_description: str = "element"

    def map_packet(self, elements: list) -> Any:
        partial = self.empty()
        for element in elements:
            partial = self.reduce(partial, self.map_element(self.validate_element(element)))
        return partial


_PIPELINES: dict[str, Pipeline] = {}


def pipeline_register(pipeline: Pipeline) -> Pipeline:
    _PIPELINES[pipeline.name] = pipeline
    return pipeline


def pipeline_get(name: str) -> Pipeline:
    try:
        return _PIPELINES[name]
    except KeyError:
        raise LookupError(f"no pipeline named {name!r}") from None


def pipeline_names() -> list[str]:
    return sorted(_PIPELINES)

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
    # Optional, for speed on big inputs: a check of a whole list (raises InvalidElement
    # naming the element, like validate_element), and the partial of a whole list of valid
    # elements at once (must equal folding map_element over them with reduce).
    validate_many: Callable[[list], None] | None = None
    map_many: Callable[[list], Any] | None = None

    def validate_all(self, elements: list) -> None:
        if self.validate_many is not None:
            self.validate_many(elements)
            return
        for element in elements:
            self.validate_element(element)

    def map_valid(self, elements: list) -> Any:
        """The partial of elements already validated."""
        if self.map_many is not None:
            return self.map_many(elements)
        partial = self.empty()
        for element in elements:
            partial = self.reduce(partial, self.map_element(element))
        return partial

    def map_packet(self, elements: list) -> Any:
        self.validate_all(elements)
        return self.map_valid(elements)


_PIPELINES: dict[str, Pipeline] = {}


def pipeline_register(pipeline: Pipeline) -> Pipeline:
    _PIPELINES[pipeline.name] = pipeline
    return pipeline


def pipeline_get(name: str) -> Pipeline:
    try:
        return _PIPELINES[name]
    except KeyError:
        raise LookupError(f"no pipeline named {name!r}") from None

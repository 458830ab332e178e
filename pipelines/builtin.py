"""The registered pipelines: the book's sumArray, and a word count proving the framework."""

import re
from collections import Counter
from decimal import Decimal

from api.json_values import json_type_name
from pipelines.arithmetic import OutOfRangeNumber, number_range_problem
from pipelines.registry import InvalidElement, Pipeline, pipeline_register


def _number(element):
    # bool is an int in Python, but `true` is not a number in JSON.
    if isinstance(element, bool) or not isinstance(element, int | Decimal | OutOfRangeNumber):
        raise InvalidElement(f"it is {json_type_name(element)}, not a number")
    if isinstance(element, Decimal) and not element.is_finite():
        raise InvalidElement("it is not a finite number")
    # Refused here, at POST, rather than failing every map attempt into the dead letters.
    problem = number_range_problem(element)
    if problem:
        raise InvalidElement(problem)
    return element


def _numbers(elements: list) -> None:
    """Every element a number in range: for the usual list of plain integers two C-speed
    passes (types, then the extremes); element by element otherwise, naming the culprit."""
    if elements and set(map(type, elements)) == {int}:  # bool's type is bool, not int
        if number_range_problem(max(elements)) is None and (
            number_range_problem(min(elements)) is None
        ):
            return
    for element in elements:
        _number(element)


def _doubled_sum(numbers: list):
    # sum(2 * x) == 2 * sum(x) exactly, for ints and for Decimals in the exact context
    # (doubling keeps a decimal's exponent, so even its trailing zeros agree).
    return 2 * sum(numbers)


def _add(left, right):
    return left + right


SUM_ARRAY = pipeline_register(
    Pipeline(
        name="sumArray",
        validate_element=_number,
        map_element=lambda number: 2 * number,  # the book's timesTwo
        reduce=_add,
        empty=lambda: 0,
        element_description="number",
        validate_many=_numbers,
        map_many=_doubled_sum,
    )
)


_WORD = re.compile(r"[\w']+")


def _text(element):
    if not isinstance(element, str):
        raise InvalidElement(f"it is {json_type_name(element)}, not a text")
    return element


def _word_counts(text: str) -> dict[str, int]:
    return dict(Counter(word.lower() for word in _WORD.findall(text)))


def _merge_counts(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    merged = dict(left)
    for word, count in right.items():
        merged[word] = merged.get(word, 0) + count
    return merged


WORD_COUNT = pipeline_register(
    Pipeline(
        name="wordCount",
        validate_element=_text,
        map_element=_word_counts,
        reduce=_merge_counts,
        empty=dict,
        element_description="text",
    )
)

"""Bounds on one GraphQL document: depth, fields and aliases, checked before the usual
validation so an abusive query costs a short walk, never a timeout.

Fragments are expanded (a spread counts what it brings in) and a fragment cycle is not
followed (graphql-core reports it). Introspection subtrees (`__schema`, `__type`) are exempt
from the depth bound (GraphiQL's own query is 15 levels deep) but have a field budget of
their own, so they cannot be inflated with fragments where introspection is on.
"""

from dataclasses import dataclass

from graphql import GraphQLError
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True)
class QueryBounds:
    max_depth: int
    max_fields: int
    max_aliases: int
    max_fragments: int
    max_introspection_fields: int = 1000


class QueryTooLarge(GraphQLError):
    pass


class _Budget:
    def __init__(self, bounds: QueryBounds):
        self.bounds = bounds
        self.fields = 0
        self.introspection_fields = 0
        self.aliases = 0

    def count_field(self, field: FieldNode, depth: int, introspection: bool) -> None:
        if introspection:
            self.introspection_fields += 1
            if self.introspection_fields > self.bounds.max_introspection_fields:
                raise QueryTooLarge("Introspection query selects too many fields: more than "
                                    f"{self.bounds.max_introspection_fields}", field)
            self._count_alias(field)
            return
        if depth > self.bounds.max_depth:
            raise QueryTooLarge(f"Query is too deep: more than {self.bounds.max_depth} levels",
                                field)
        self.fields += 1
        if self.fields > self.bounds.max_fields:
            raise QueryTooLarge(
                f"Query selects too many fields: more than {self.bounds.max_fields}", field)
        self._count_alias(field)

    def _count_alias(self, field: FieldNode) -> None:
        if field.alias is not None:
            self.aliases += 1
            if self.aliases > self.bounds.max_aliases:
                raise QueryTooLarge(
                    f"Query uses too many aliases: more than {self.bounds.max_aliases}", field)


def _walk(selection_set: SelectionSetNode | None, depth: int, fragments: dict,
          expanding: frozenset, budget: _Budget, introspection: bool = False) -> None:
    # Recursion is bounded: graphql-core's parser refuses documents nested deeper than a
    # few hundred levels, and each level here is one frame.
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            # __schema / __type open an introspection subtree (__typename is a plain leaf).
            inside = introspection or (selection.name.value.startswith("__")
                                       and selection.selection_set is not None)
            budget.count_field(selection, depth, inside)
            _walk(selection.selection_set, depth + 1, fragments, expanding, budget, inside)
        elif isinstance(selection, InlineFragmentNode):
            _walk(selection.selection_set, depth, fragments, expanding, budget, introspection)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in expanding:
                continue  # unknown fragment or a cycle: the standard rules report both
            _walk(fragment.selection_set, depth, fragments, expanding | {name}, budget,
                  introspection)


def query_bound_errors(document: DocumentNode, bounds: QueryBounds) -> list[GraphQLError]:
    """The first bound the document exceeds, as a GraphQL error; [] when within bounds."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    if len(fragments) > bounds.max_fragments:
        return [QueryTooLarge(
            f"Query defines too many fragments: more than {bounds.max_fragments}")]
    budget = _Budget(bounds)
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                _walk(definition.selection_set, 1, fragments, frozenset(), budget)
    except QueryTooLarge as error:
        return [error]
    return []

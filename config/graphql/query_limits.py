"""Bounds on one GraphQL document: depth, fields and aliases, checked before the usual
validation so an abusive query costs a short walk, never a timeout: the work is proportional
to the document's text, never to what its fragments expand to (docs/items.md "GraphQL").
"""

from dataclasses import dataclass, field

from graphql import GraphQLError
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Node,
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


@dataclass
class BoundsCheck:
    """The outcome of checking one document, and the work it took."""

    errors: list[GraphQLError]
    # Selections, definitions and fragment edges looked at: grows with the document's
    # size, not with its expansion (tests and benchmarks read it).
    nodes_visited: int


@dataclass
class _Cost:
    """What a selection set brings in once every spread in it is expanded."""

    fields: int = 0  # outside introspection subtrees
    introspection_fields: int = 0
    aliases: int = 0
    height: int = 0  # levels of fields outside introspection (1: leaves only; 0: none)
    deepest: Node | None = None  # where in this definition the deepest level starts

    def add_field(self, node: FieldNode, level: int, introspection: bool) -> None:
        if node.alias is not None:
            self.aliases += 1
        if introspection:
            self.introspection_fields += 1
            return
        self.fields += 1
        self._reach(level, node)

    def add_spread(self, spread: "_Spread", fragment: "_Cost") -> None:
        self.aliases += fragment.aliases
        if spread.introspection:
            # Inside __schema / __type everything the fragment brings is introspection.
            self.introspection_fields += fragment.fields + fragment.introspection_fields
            return
        self.fields += fragment.fields
        self.introspection_fields += fragment.introspection_fields
        if fragment.height:
            self._reach(spread.level - 1 + fragment.height, spread.node)

    def _reach(self, level: int, node: Node) -> None:
        if level > self.height:
            self.height, self.deepest = level, node


@dataclass(frozen=True)
class _Spread:
    name: str
    node: FragmentSpreadNode
    level: int  # the level its fields land on, counting the definition's own first level as 1
    introspection: bool


@dataclass
class _Definition:
    """One operation or fragment after a single pass: its own cost and its spreads."""

    node: OperationDefinitionNode | FragmentDefinitionNode
    own: _Cost = field(default_factory=_Cost)
    spreads: list[_Spread] = field(default_factory=list)


class _Rejected(Exception):
    def __init__(self, error: GraphQLError):
        super().__init__(error.message)
        self.error = error


class _Checker:
    def __init__(self, document: DocumentNode, bounds: QueryBounds):
        self.document = document
        self.bounds = bounds
        self.nodes_visited = 0

    def errors(self) -> list[GraphQLError]:
        try:
            fragments, operations = self._definitions()
            self._refuse_unknown_fragments(fragments, operations)
            costs = self._fragment_costs(fragments)
            self._check_operations(operations, costs)
        except _Rejected as rejected:
            return [rejected.error]
        return []

    # --- one pass over the text --------------------------------------------------------

    def _definitions(self) -> tuple[dict[str, _Definition], list[_Definition]]:
        fragment_nodes = [
            definition
            for definition in self.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        ]
        if len(fragment_nodes) > self.bounds.max_fragments:
            raise _Rejected(
                QueryTooLarge(
                    f"Query defines too many fragments: more than {self.bounds.max_fragments}"
                )
            )
        fragments: dict[str, _Definition] = {}
        operations: list[_Definition] = []
        for node in self.document.definitions:
            self.nodes_visited += 1
            if isinstance(node, FragmentDefinitionNode):
                name = node.name.value
                if name in fragments:
                    raise _Rejected(
                        GraphQLError(f"There can be only one fragment named '{name}'.", node.name)
                    )
                fragments[name] = self._summarise(node)
            elif isinstance(node, OperationDefinitionNode):
                operations.append(self._summarise(node))
        return fragments, operations

    def _summarise(self, node) -> _Definition:
        definition = _Definition(node)
        self._visit(node.selection_set, 1, False, definition)
        return definition

    def _visit(
        self,
        selection_set: SelectionSetNode | None,
        level: int,
        introspection: bool,
        definition: _Definition,
    ) -> None:
        # Recursion is bounded: graphql-core's parser refuses documents nested deeper than a
        # few hundred levels, and each level here is one frame.
        if selection_set is None:
            return
        for selection in selection_set.selections:
            self.nodes_visited += 1
            if isinstance(selection, FieldNode):
                # __schema / __type open an introspection subtree (__typename is a plain leaf).
                inside = introspection or (
                    selection.name.value.startswith("__") and selection.selection_set is not None
                )
                definition.own.add_field(selection, level, inside)
                self._visit(selection.selection_set, level + 1, inside, definition)
            elif isinstance(selection, InlineFragmentNode):
                self._visit(selection.selection_set, level, introspection, definition)
            elif isinstance(selection, FragmentSpreadNode):
                definition.spreads.append(
                    _Spread(selection.name.value, selection, level, introspection)
                )

    # --- refusals that need no expansion -----------------------------------------------

    def _refuse_unknown_fragments(
        self, fragments: dict[str, _Definition], operations: list[_Definition]
    ) -> None:
        for definition in (*operations, *fragments.values()):
            for spread in definition.spreads:
                self.nodes_visited += 1
                if spread.name not in fragments:
                    raise _Rejected(GraphQLError(f"Unknown fragment '{spread.name}'.", spread.node))

    def _fragment_costs(self, fragments: dict[str, _Definition]) -> dict[str, _Cost]:
        """Every fragment's expanded cost, each computed once (a depth-first walk of the
        spread graph, which also finds cycles before anything is expanded)."""
        costs: dict[str, _Cost] = {}
        for root in fragments:
            if root in costs:
                continue
            # Iterative, so a high GRAPHQL_MAX_FRAGMENTS cannot exhaust the Python stack.
            path: list[str] = [root]
            on_path = {root}
            pending = [iter(fragments[root].spreads)]
            while pending:
                spread = next(pending[-1], None)
                if spread is None:
                    pending.pop()
                    name = path.pop()
                    on_path.discard(name)
                    costs[name] = self._combined(fragments[name], costs)
                    continue
                self.nodes_visited += 1
                if spread.name in on_path:
                    raise _Rejected(self._cycle_error(path, spread))
                if spread.name not in costs:
                    path.append(spread.name)
                    on_path.add(spread.name)
                    pending.append(iter(fragments[spread.name].spreads))
        return costs

    @staticmethod
    def _cycle_error(path: list[str], spread: _Spread) -> GraphQLError:
        cycle = path[path.index(spread.name) :]
        via = cycle[1:]
        message = f"Cannot spread fragment '{spread.name}' within itself"
        if via:
            message += " via " + ", ".join(f"'{name}'" for name in via)
        return GraphQLError(message + ".", spread.node)

    def _combined(self, definition: _Definition, costs: dict[str, _Cost]) -> _Cost:
        own = definition.own
        total = _Cost(own.fields, own.introspection_fields, own.aliases, own.height, own.deepest)
        for spread in definition.spreads:
            self.nodes_visited += 1
            total.add_spread(spread, costs[spread.name])
        return total

    # --- the bounds --------------------------------------------------------------------

    def _check_operations(self, operations: list[_Definition], costs: dict[str, _Cost]) -> None:
        # Validation looks at every operation of the document, so all of them count.
        document = _Cost()
        for operation in operations:
            cost = self._combined(operation, costs)
            if cost.height > self.bounds.max_depth:
                raise _Rejected(
                    QueryTooLarge(
                        f"Query is too deep: more than {self.bounds.max_depth} levels", cost.deepest
                    )
                )
            document.fields += cost.fields
            document.introspection_fields += cost.introspection_fields
            document.aliases += cost.aliases
            self._check_totals(document, operation.node)

    def _check_totals(self, cost: _Cost, node: Node) -> None:
        bounds = self.bounds
        if cost.fields > bounds.max_fields:
            raise _Rejected(
                QueryTooLarge(f"Query selects too many fields: more than {bounds.max_fields}", node)
            )
        if cost.introspection_fields > bounds.max_introspection_fields:
            raise _Rejected(
                QueryTooLarge(
                    "Introspection query selects too many fields: more than "
                    f"{bounds.max_introspection_fields}",
                    node,
                )
            )
        if cost.aliases > bounds.max_aliases:
            raise _Rejected(
                QueryTooLarge(f"Query uses too many aliases: more than {bounds.max_aliases}", node)
            )


def check_query_bounds(document: DocumentNode, bounds: QueryBounds) -> BoundsCheck:
    """The first bound (or fragment rule) the document breaks, and the work it took."""
    checker = _Checker(document, bounds)
    errors = checker.errors()
    return BoundsCheck(errors=errors, nodes_visited=checker.nodes_visited)


def query_bound_errors(document: DocumentNode, bounds: QueryBounds) -> list[GraphQLError]:
    """The first bound the document exceeds, as a GraphQL error; [] when within bounds."""
    return check_query_bounds(document, bounds).errors

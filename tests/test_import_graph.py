"""No import cycle in the project: its modules import each other one way, counting the imports
inside functions too (a cycle hidden in a function is still a cycle to untangle)."""

from tests.helpers.import_graph import PROJECT_PACKAGES, a_cycle, import_graph


def test_project_modules_import_each_other_without_a_cycle():
    graph = import_graph(*PROJECT_PACKAGES)
    assert {"accounts.models", "items.services", "pipelines.models", "config.urls"} <= set(graph)

    assert a_cycle(graph) is None


def test_the_cycle_finder_finds_one():
    assert a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]

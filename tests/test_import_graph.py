"""No import cycle in the project: its modules import each other one way, counting the imports
inside functions too (a cycle hidden in a function is still a cycle to untangle); nor between
its apps, where monitoring is a floor the features stand on (they register their parts with
it: monitoring/registry.py)."""

from tests.helpers.import_graph import (
    PROJECT_PACKAGES,
    ROOT,
    a_cycle,
    app_graph,
    import_graph,
    imported_names,
    source_files,
)

FEATURE_APPS = ("pipelines", "items", "browser", "hello")


def test_project_modules_import_each_other_without_a_cycle():
    graph = import_graph(*PROJECT_PACKAGES)
    assert {"accounts.models", "items.services", "pipelines.models", "config.urls"} <= set(graph)

    assert a_cycle(graph) is None


def test_project_apps_import_each_other_without_a_cycle():
    apps = app_graph(import_graph(*PROJECT_PACKAGES))
    assert "monitoring" in apps["pipelines"]  # the features do use monitoring

    assert a_cycle(apps) is None


def test_monitoring_imports_no_feature_app():
    imports = {
        (path.relative_to(ROOT).as_posix(), name)
        for path in source_files("monitoring")
        for name in imported_names(path)
        if name.split(".")[0] in FEATURE_APPS
    }

    assert imports == set()


def test_the_floors_import_no_feature_app():
    """accounts and api serve every feature: the features declare their parts to them
    (accounts/registry.py), never the other way round."""
    apps = app_graph(import_graph(*PROJECT_PACKAGES))

    assert {floor: apps[floor] & set(FEATURE_APPS) for floor in ("accounts", "api")} == {
        "accounts": set(),
        "api": set(),
    }


def test_the_cycle_finder_finds_one():
    assert a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_app_graph_keeps_only_arrows_between_apps():
    graph = {"a.x": {"a.y", "b.z"}, "a.y": set(), "b.z": {"a.y"}}

    assert app_graph(graph) == {"a": {"b"}, "b": {"a"}}

"""accounts is the ground floor: it imports nothing from the feature apps or config (the
project-wide rule, no import cycle anywhere, is tests/test_import_graph.py)."""

from tests.helpers.import_graph import ROOT, imported_names, source_files

FEATURE_APPS_AND_WIRING = ("items", "pipelines", "browser", "hello", "monitoring", "config")


def test_accounts_imports_no_feature_app_nor_config():
    imports = {
        (path.relative_to(ROOT).as_posix(), name)
        for path in source_files("accounts")
        for name in imported_names(path)
        if name.split(".")[0] in FEATURE_APPS_AND_WIRING
    }

    assert imports == set()

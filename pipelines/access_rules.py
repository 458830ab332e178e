"""What pipelines asks of accounts (accounts.registry): its scope and its per-user budgets."""

from accounts.registry import rate_budget_declare, scope_declare

PIPELINES_RUN = scope_declare("pipelines:run", description="Start and watch sumArray pipeline runs")

# Runs started, by any pipeline and either way (a body or an upload): one budget.
PIPELINE_RUNS = rate_budget_declare("pipeline-runs")
# Local PUTs of upload files (each up to maxBytes of disk and bandwidth).
PIPELINE_UPLOAD_PUTS = rate_budget_declare("pipeline-upload-puts")

"""The stage checks: is a Zappa stage, and the process running it, fit to deploy?

Run by `manage.py stage_check <stage>`, `manage.py check --deploy` and `scripts/zappa
deploy|update`. They live in `config/` because a stage wires Zappa's settings, the settings
module and the pipelines' consumers together. One module per concern; what each checks and
why: docs/deploy.md "Stage checks".
"""

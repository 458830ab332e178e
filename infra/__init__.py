"""A stage's infrastructure as code (issue 12): the CloudFormation template (stage.yaml, rendered
by template.py) and the one deploy command (deploy.py, run by scripts/deploy)."""

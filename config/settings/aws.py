"""AWS integration: region, and an endpoint override for an emulator (moto) in tests."""

from config.env import env

AWS_REGION = env("AWS_REGION", default=env("AWS_DEFAULT_REGION", default="us-east-1"))
# boto3 also reads AWS_ENDPOINT_URL itself; kept here so code building clients can log it.
AWS_ENDPOINT_URL = env("AWS_ENDPOINT_URL", default=None)

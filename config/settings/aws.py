"""AWS integration: region, and an endpoint override for an emulator (moto) in tests."""

from config.env import env

AWS_REGION = env("AWS_REGION", default=env("AWS_DEFAULT_REGION", default="us-east-1"))
# boto3 also reads AWS_ENDPOINT_URL itself; kept here so code building clients can log it.
AWS_ENDPOINT_URL = env("AWS_ENDPOINT_URL", default=None)

# Media (browser captures) in the stage's S3 bucket when MEDIA_BUCKET is set (AWS stages):
# private objects, encrypted at rest, answered with presigned URLs that expire.
MEDIA_BUCKET = env("MEDIA_BUCKET", default="")
S3_MEDIA_OPTIONS = {
    "region_name": AWS_REGION,
    "default_acl": None,  # the bucket's policy decides: private
    "querystring_auth": True,
    "signature_version": "s3v4",  # SigV2 URLs are refused by regions opened since 2014
    "querystring_expire": env.int("MEDIA_URL_EXPIRE_SECONDS", default=3600),
    "file_overwrite": False,
    "object_parameters": {"ServerSideEncryption": "AES256"},
}

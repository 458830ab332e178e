"""Run as `python -S packaged_lambda.py <package_dir> <runtime_dir>`: answer each event (one
JSON line on stdin) through Zappa's real handler, importing only from the unzipped package
and from `runtime_dir` (what the Lambda runtime provides: boto3, botocore and their
dependencies), and print each result as a JSON line. No virtualenv is on the path (-S)."""

import json
import os
import sys
import uuid


class Context:
    function_name = "serverless-handbook-dev"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name

    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main() -> None:
    package, runtime = sys.argv[1:3]
    # Zappa's handler prints ("Instancing..") and so may the app: results get stdout alone.
    results, sys.stdout = sys.stdout, sys.stderr
    sys.path[:0] = [package]
    sys.path.append(runtime)
    os.chdir(package)
    from zappa.handler import LambdaHandler

    for line in sys.stdin:
        result = LambdaHandler("zappa_settings").handler(json.loads(line), Context())
        results.write(json.dumps(result, default=str) + "\n")
        results.flush()


if __name__ == "__main__":
    main()

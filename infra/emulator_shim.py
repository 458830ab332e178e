"""The gaps of moto 5.2.5's server that a Zappa command meets, bridged in one place. The
settings callback installs this only when AWS_ENDPOINT_URL is set (an emulator: a deploy to
AWS never sets it), so nothing here runs in production. The gaps: README, "Stages and deploy"
(the rehearsal paragraph).
"""

import os

from infra.feedback import say

CANNOT_INVOKE = "moto cannot invoke a Lambda function without Docker"


def emulated() -> bool:
    return bool(os.environ.get("AWS_ENDPOINT_URL"))


def install(cli) -> None:
    from botocore.exceptions import ClientError
    from click import ClickException

    zappa = cli.zappa
    delete_function_url = zappa.delete_lambda_function_url

    def delete_function_url_tolerating_404(function_name):
        try:
            return delete_function_url(function_name)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
                raise
            return None

    def invoke_refused(*args, **kwargs):
        raise ClickException(f"{CANNOT_INVOKE}: `zappa {cli.command}` runs against AWS only")

    undeploy_api = zappa.undeploy_api_gateway

    def undeploy_api_and_its_rest_api(lambda_name, *args, **kwargs):
        result = undeploy_api(lambda_name, *args, **kwargs)
        for api in zappa.apigateway_client.get_rest_apis(limit=500).get("items", []):
            if api.get("name") == lambda_name:
                zappa.apigateway_client.delete_rest_api(restApiId=api["id"])
                say(f"  (emulator) deleted the REST API {lambda_name} left after its stack")
        return result

    zappa.delete_lambda_function_url = delete_function_url_tolerating_404
    zappa.invoke_lambda_function = invoke_refused
    zappa.undeploy_api_gateway = undeploy_api_and_its_rest_api
    cli.override_stage_config_setting("touch", False)
    cli.lambda_invocation_unavailable = CANNOT_INVOKE

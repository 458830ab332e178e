"""moto's server on a free loopback port: real boto3 clients over real HTTP."""

import socket
from dataclasses import dataclass


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class AwsEmulator:
    endpoint_url: str
    region: str = "us-east-1"

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region)

    def environment(self) -> dict[str, str]:
        """Variables that point any boto3 client in this or a child process at the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def reset(self) -> None:
        """Forget every resource (moto's reset API), so tests do not see each other's queues."""
        import urllib.request

        url = f"{self.endpoint_url}/moto-api/reset"  # the emulator: http on loopback
        request = urllib.request.Request(url, method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310


def start_moto_server():
    from moto.server import ThreadedMotoServer

    port = free_loopback_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, AwsEmulator(endpoint_url=f"http://127.0.0.1:{port}")

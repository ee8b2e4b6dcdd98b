"""Stand-ins for the Neo4j AMI tests: Neo4j's RPM repository index on loopback, and the instances' side.

moto never runs user data and no Neo4j server can run here, so `InstanceStandIn` plays the instances: a
thread that watches moto for builder / smoke-test instances and writes their signal parameter the way the
user data would (or never, or with a failure), reading the version from the rendered user data.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

REPOMD = """<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <data type="primary"><location href="repodata/abc-primary.xml.gz"/></data>
</repomd>"""


def primary_xml(packages: dict[str, list[str]]) -> bytes:
    entries = "".join(
        f'<package type="rpm"><name>{name}</name><arch>noarch</arch>'
        f'<version epoch="0" ver="{version}" rel="1"/></package>'
        for name, versions in packages.items()
        for version in versions
    )
    return (
        '<?xml version="1.0"?><metadata xmlns="http://linux.duke.edu/metadata/common" '
        f'packages="{entries.count("<package")}">{entries}</metadata>'
    ).encode()


@contextmanager
def repository_server(packages: dict[str, list[str]]) -> Iterator[str]:
    """A yum repository index (repomd.xml + primary.xml.gz) on 127.0.0.1; yields its base URL."""
    files = {
        "/stable/repodata/repomd.xml": REPOMD.encode(),
        "/stable/repodata/abc-primary.xml.gz": gzip.compress(primary_xml(packages)),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = files.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/stable"
    finally:
        server.shutdown()
        server.server_close()


def base_image(endpoint: str, region: str = "af-south-1", parameter: str = "/test/al2023") -> str:
    """Register an 'Amazon Linux 2023' image in moto and publish it under an SSM parameter."""
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
    ami = ec2.register_image(
        Name="al2023-ami-2023.9-kernel-6.1-x86_64",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
    )["ImageId"]
    boto3.client("ssm", region_name=region, endpoint_url=endpoint).put_parameter(
        Name=parameter, Value=ami, Type="String", Overwrite=True
    )
    return ami


class InstanceStandIn:
    """Plays the builder and smoke-test instances: `build` / `smoke` say how each answers.

    build: "success" (reports the version found in the user data's dnf line), "fail", "silent".
    smoke: "success" (reports the AMI's Neo4jVersion/Neo4jEdition tags), "wrong-version", "fail", "silent".
    """

    def __init__(
        self, endpoint: str, region: str = "af-south-1", build: str = "success", smoke: str = "success"
    ):
        self.ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
        self.ssm = boto3.client("ssm", region_name=region, endpoint_url=endpoint)
        self.behaviour = {"neo4j-ami-builder": build, "neo4j-ami-smoke-test": smoke}
        self.answered: set[str] = set()
        self.user_data: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> InstanceStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # moto reset between tests, etc.
                self._tick()
            time.sleep(0.05)

    def _tick(self) -> None:
        reservations = self.ec2.describe_instances(
            Filters=[
                {"Name": "tag:Purpose", "Values": list(self.behaviour)},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        for instance in (i for r in reservations for i in r["Instances"]):
            instance_id = instance["InstanceId"]
            if instance_id in self.answered:
                continue
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            raw = self.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
            user_data = base64.b64decode(raw["UserData"]["Value"]).decode()
            self.user_data[instance_id] = user_data
            answer = self._answer(tags["Purpose"], instance, user_data)
            self.answered.add(instance_id)
            if answer is not None:
                self.ssm.put_parameter(
                    Name=tags["SignalParameter"], Value=json.dumps(answer), Type="String", Overwrite=True
                )

    def _answer(self, purpose: str, instance: dict[str, Any], user_data: str) -> dict[str, str] | None:
        behaviour = self.behaviour[purpose]
        if behaviour == "silent":
            return None
        if behaviour == "fail":
            return {"status": "failed", "stage": "install"}
        if purpose == "neo4j-ami-builder":
            match = re.search(r"dnf install -y (neo4j(?:-enterprise)?)-(\S+)", user_data)
            assert match, "builder user data installs no Neo4j package"
            edition = "enterprise" if match[1] == "neo4j-enterprise" else "community"
            return {"status": "success", "stage": "done", "version": match[2], "edition": edition}
        image = self.ec2.describe_images(ImageIds=[instance["ImageId"]])["Images"][0]
        tags = {t["Key"]: t["Value"] for t in image.get("Tags", [])}
        version = tags["Neo4jVersion"] if behaviour == "success" else "4.4.0"
        return {"status": "success", "stage": "done", "version": version, "edition": tags["Neo4jEdition"]}


def live_instances(endpoint: str, purpose: str, region: str = "af-south-1") -> list[str]:
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Purpose", "Values": [purpose]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )["Reservations"]
    return [i["InstanceId"] for r in reservations for i in r["Instances"]]

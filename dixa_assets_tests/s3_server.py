"""A local S3-compatible server for the tests: moto's server mode on a free loopback port.

Loaded as a pytest plugin by ``conftest.py``. The lake code under test reaches it over real HTTP,
configured only through the standard AWS environment variables, as it would reach AWS or MinIO.
``lake_url`` runs a test once on a local folder and once on a bucket, so both keep one contract.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from dixa_assets.lake.root import lake_root


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The server's endpoint URL, for the whole session (it starts in milliseconds)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_lake_url(s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """``s3://<new empty bucket>/lake``, with the AWS environment pointed at the local server.

    The shared AWS files and the instance-metadata service are switched off, so nothing of the
    machine's own AWS setup (or any address beyond loopback) is consulted. s3fs caches its
    filesystems (by their options, not the environment) for the whole session, which is right
    here because every test sets the same variables to the same server, and saves the second
    it takes to build an S3 client.
    """
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "lake-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "lake-test-secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"dixa-lake-{uuid.uuid4().hex[:12]}"
    lake_root(f"s3://{bucket}").fs.mkdir(bucket)
    return f"s3://{bucket}/lake"


@pytest.fixture(params=["local", "s3"])
def lake_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A lake root: a temp folder, or a fresh bucket on the loopback S3 server."""
    if request.param == "local":
        return str(tmp_path / "lake")
    return request.getfixturevalue("s3_lake_url")

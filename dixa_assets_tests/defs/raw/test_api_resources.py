"""Both API resources hand the settings of their shared base to their clients."""

import os

import pytest

from dixa_assets.defs.raw.exports_resource import DixaExportsResource
from dixa_assets.defs.raw.main_api_resource import DixaMainApiResource
from dixa_assets.exports_api import InsecureTransportError as ExportsInsecure
from dixa_assets.main_api import InsecureTransportError as MainInsecure

SHARED = {
    "api_token": "token",
    "base_url": "http://api.example.com",
    "max_attempts": 3,
    "backoff_seconds": 0.25,
    "allow_insecure_http": True,  # else opening a client to this URL would raise
}


def test_the_shared_settings_reach_both_clients():
    with DixaExportsResource(**SHARED, timeout_seconds=12.0).open_client() as exports:
        assert (exports._max_attempts, exports._backoff_s) == (3, 0.25)
        assert exports._http.timeout.read == 12.0
    main = DixaMainApiResource(**SHARED).open_client()
    try:
        assert (main._requests._max_attempts, main._requests._backoff_s) == (3, 0.25)
    finally:
        main.close()


@pytest.mark.parametrize("resource", [DixaExportsResource, DixaMainApiResource])
def test_plain_http_to_another_host_stays_refused_by_default(resource):
    with pytest.raises((ExportsInsecure, MainInsecure), match="clear text"):
        resource(api_token="token", base_url="http://api.example.com").open_client()


def test_the_decoding_processes_reach_the_exports_client():
    with DixaExportsResource(**SHARED, decode_processes=0).open_client() as exports:
        assert not exports._decoding.enabled  # big answers decoded in the step's own process
    with DixaExportsResource(**SHARED).open_client() as exports:
        assert exports._decoding.processes == min(os.cpu_count() or 1, 4)

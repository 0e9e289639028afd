"""A new user's mistakes fail at once, without step retries, naming the setting to fix.

Real Dagster runs against a dead loopback port, the simulator spoken to in TLS, a base URL with a
wrong path, and no token. How long each takes is measured by ``benchmarks/setting_mistakes.py``
(no timed assertions here).
"""

from __future__ import annotations

import httpx
import pytest
from dagster import DagsterInstance, materialize

from dixa_assets.definitions import build_definitions
from dixa_assets.exports_api import ApiUnreachable, ExportsClient, RetriesExhausted, Window
from dixa_assets.simulator import DeadPort, SimulatorServer
from dixa_assets_tests.conftest import TOKEN, day_ms, make_settings, run_assets

DAY = "2025-03-03"


def failure_of(result) -> str:
    """The step failure's message; the step must not have been retried."""
    events = [e.event_type_value for e in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in events, "a setting mistake must not be retried"
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failure.step_failure_data.error.message


def run_against(tmp_path, simulator, base_url: str):
    settings = make_settings(tmp_path, simulator)
    settings = type(settings)(**{**vars(settings), "api_base_url": base_url})
    return run_assets(settings, ["dixa_messages"], DAY, raise_on_error=False)


def test_nothing_listening_at_the_base_url_names_the_setting_and_its_value(
    tmp_path, simulator, token_env
):
    with DeadPort() as dead:
        message = failure_of(run_against(tmp_path, simulator, dead.url))
    assert "DIXA_API_BASE_URL" in message and repr(dead.url) in message
    assert "Cannot reach" in message and TOKEN not in message


def test_a_tls_failure_names_the_base_url(tmp_path, simulator, token_env):
    url = f"https://127.0.0.1:{simulator.port}"  # the simulator speaks plain HTTP only
    message = failure_of(run_against(tmp_path, simulator, url))
    assert "DIXA_API_BASE_URL" in message and repr(url) in message
    assert simulator.export_request_count == 0


def test_a_wrong_path_in_the_base_url_is_a_404_that_says_so(tmp_path, simulator, token_env):
    url = simulator.url + "/api"
    message = failure_of(run_against(tmp_path, simulator, url))
    assert "HTTP 404" in message and "base URL is probably wrong" in message
    assert "DIXA_API_BASE_URL" in message and repr(url) in message


@pytest.mark.parametrize("asset", ["dixa_messages", "dixa_activity_log"])
def test_no_token_is_one_line_naming_the_variable_and_where_to_get_it(
    tmp_path, simulator, monkeypatch, asset
):
    monkeypatch.delenv("DIXA_API_TOKEN", raising=False)
    settings = make_settings(tmp_path, simulator)
    defs = build_definitions(settings)  # loads without a token
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            list(defs.assets or []),
            selection=[asset],
            partition_key=DAY,
            resources=dict(defs.resources or {}),
            instance=instance,
            raise_on_error=False,
        )
    message = failure_of(result)  # the Exports API's asset, or the main API's: the same line
    assert message.splitlines()[0].startswith("dagster._core.definitions.events.Failure: ")
    first = message.splitlines()[0].removeprefix("dagster._core.definitions.events.Failure: ")
    assert first.startswith("DIXA_API_TOKEN is not set")
    assert "Settings -> Integrations -> API tokens" in first
    assert simulator.export_request_count == 0
    assert simulator.request_log == []  # neither API was called


def test_an_unknown_host_is_a_setting_mistake_too():
    """DNS is not reachable from the test machine (loopback only), so the resolver's answer is
    played by httpx's transport: the classification under test is the client's."""

    def unknown_host(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    url = "https://exports.dixa.example"
    transport = httpx.MockTransport(unknown_host)
    client = ExportsClient(TOKEN, url, transport=transport, requests_per_minute=None, backoff_s=0)
    with client, pytest.raises(ApiUnreachable, match="DIXA_API_BASE_URL") as error:
        client.messages(created=_window())
    assert repr(url) in str(error.value)


def test_refused_after_the_api_has_answered_is_transient_and_retried(organisation):
    """The same refusal that is a setting mistake at first contact is an outage later."""
    server = SimulatorServer(organisation, token=TOKEN).start()
    client = ExportsClient(TOKEN, server.url, requests_per_minute=None, backoff_s=0.01)
    with client:
        client.messages(created=_window())
        server.stop()
        with pytest.raises(RetriesExhausted) as error:
            client.messages(created=_window())
    assert not isinstance(error.value, ApiUnreachable)
    assert client.metrics.retries == 5  # the full budget: 6 attempts


def _window() -> Window:
    return Window(*day_ms(DAY))

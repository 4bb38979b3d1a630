"""Running the emulator: context managers, clean stops, admin API, the command line."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from prefect_runway.testing.emulator import (
    DEFAULT_API_KEY,
    EmulatorConfig,
    Fault,
    FaultPlan,
    RunwayEmulator,
)
from tests.testing.emulator.support import client, headers, i2v_body, wait_for


def _emulator_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("runway-emulator")]


def _port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_default_key_has_runways_shape() -> None:
    assert DEFAULT_API_KEY.startswith("key_")
    assert len(DEFAULT_API_KEY) == 4 + 128
    int(DEFAULT_API_KEY[4:], 16)


def test_context_manager_serves_then_releases_thread_and_port() -> None:
    before = _emulator_threads()
    with RunwayEmulator() as emu:
        assert emu.base_url == f"http://127.0.0.1:{emu.port}"
        assert emu.api_key == DEFAULT_API_KEY
        with client(emu) as http:
            assert http.get("/v1/organization").status_code == 200
        port = emu.port
        assert emu.running
    assert not emu.running
    assert _emulator_threads() == before
    assert _port_is_closed(port)
    emu.stop()  # twice is fine


def test_a_fixed_port_can_be_reused_right_away() -> None:
    with socket.socket() as finder:
        finder.bind(("127.0.0.1", 0))
        port = finder.getsockname()[1]
    for _ in range(2):
        with RunwayEmulator(EmulatorConfig(port=port)) as emu, client(emu) as http:
            assert emu.base_url.endswith(f":{port}")
            assert http.get("/v1/organization").status_code == 200


def test_starting_twice_or_using_a_stopped_one_is_an_error() -> None:
    emu = RunwayEmulator()
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    with emu:
        with pytest.raises(RuntimeError):
            emu.start()
    with pytest.raises(RuntimeError):
        emu.stats()


async def test_async_context_manager_with_an_async_client() -> None:
    async with RunwayEmulator(EmulatorConfig(run_seconds=0.05)) as emu:
        async with httpx.AsyncClient(base_url=emu.base_url, headers=headers(emu)) as http:
            created = await http.post("/v1/image_to_video", json=i2v_body(duration=2))
            assert created.status_code == 200
            assert (await http.get(f"/v1/tasks/{created.json()['id']}")).status_code == 200
        assert emu.stats()["creates_total"] == 1


def test_two_emulators_are_independent() -> None:
    with RunwayEmulator() as one, RunwayEmulator() as two:
        assert one.port != two.port
        one.set_faults(FaultPlan(rules=[Fault(operation="create", kind="status", status=503)]))
        with client(two) as http:
            assert http.post("/v1/image_to_video", json=i2v_body()).status_code == 200
        assert one.stats()["creates_total"] == 0
        assert two.stats()["creates_total"] == 1


def test_reset_forgets_everything_and_restores_the_config(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    task_id = http.post("/v1/image_to_video", json=i2v_body()).json()["id"]
    runway_emulator.configure(run_seconds=99.0)
    runway_emulator.set_faults(FaultPlan(rules=[Fault(operation="poll", kind="not_found")]))
    assert http.get(f"/v1/tasks/{task_id}").status_code == 404
    runway_emulator.reset()
    stats = runway_emulator.stats()
    assert stats["creates_total"] == 0
    assert stats["gets"] == 0
    assert stats["faults_injected"] == {}
    assert stats["tasks_by_status"] == {}
    with pytest.raises(KeyError):
        runway_emulator.task(task_id)
    config = httpx.get(f"{runway_emulator.base_url}/_emulator/config").json()
    assert config["run_seconds"] == EmulatorConfig().run_seconds


def test_admin_reset_and_config_over_http(runway_emulator: RunwayEmulator) -> None:
    base = runway_emulator.base_url
    changed = httpx.post(f"{base}/_emulator/config", json={"queue_seconds": 0.5})
    assert changed.status_code == 200
    assert changed.json()["queue_seconds"] == 0.5
    assert httpx.post(f"{base}/_emulator/config", json={"queue_seconds": -1}).status_code == 400
    assert httpx.post(f"{base}/_emulator/config", json={"port": 1}).status_code == 400
    assert httpx.post(f"{base}/_emulator/config", json={"nonsense": 1}).status_code == 400
    assert httpx.post(f"{base}/_emulator/reset").status_code == 204
    assert httpx.get(f"{base}/_emulator/config").json()["queue_seconds"] == 0.05


def test_config_refuses_unknown_models_and_odd_widths() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        EmulatorConfig(max_concurrent={"gen5": 1})
    with pytest.raises(ValueError, match="even"):
        EmulatorConfig(frame_width=191)


def test_command_line_serves_until_interrupted(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"run_seconds": 0.1, "max_concurrent": {"veo3.1": 7}}))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect_runway.testing.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--config",
            str(settings),
            "--api-key",
            "key_" + "ab" * 64,
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout

        def read_lines() -> None:
            for line in stdout:
                lines.put(line)

        reader = threading.Thread(target=read_lines, daemon=True)
        reader.start()
        first = lines.get(timeout=30).strip()
        second = lines.get(timeout=30).strip()
        assert first.startswith("RUNWAY_BASE_URL=http://127.0.0.1:")
        assert second == "RUNWAY_API_KEY=key_" + "ab" * 64
        base_url = first.split("=", 1)[1]
        config = wait_for(lambda: _try_get(f"{base_url}/_emulator/config"), lambda r: r is not None)
        assert config is not None
        assert config.json()["max_concurrent"] == {"veo3.1": 7}
        auth = {"Authorization": "Bearer key_" + "ab" * 64, "X-Runway-Version": "2024-11-06"}
        assert httpx.get(f"{base_url}/v1/organization", headers=auth).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def _try_get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url)
    except httpx.TransportError:
        return None

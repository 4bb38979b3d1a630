"""The allowed-inputs rule: where local files and S3 objects may be read, and who says so."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest
from prefect import flow

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks.allowed_inputs import (
    BUCKETS_ENV,
    ROOTS_ENV,
    InputNotAllowed,
    InputPolicy,
    in_deployment_run,
    open_checked,
)
from prefect_runway.tasks.inputs import InputError
from tests.media_samples import png_bytes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "allowed"
    folder.mkdir()
    (folder / "still.png").write_bytes(png_bytes())
    return folder


def policy_for(*roots: Path, buckets: tuple[str, ...] = (), deployment: bool = True) -> InputPolicy:
    return InputPolicy.for_run(
        roots=[str(r) for r in roots], buckets=buckets, environ={}, deployment_run=deployment
    )


def test_a_file_inside_a_root_is_read(root: Path) -> None:
    assert (
        policy_for(root).local_file("promptImage", str(root / "still.png"))
        == (root / "still.png").resolve()
    )


@pytest.mark.parametrize(
    "value",
    [
        "/etc/passwd",
        "/etc/hostname",
        "~/.ssh/id_rsa.png",
        "/proc/self/environ",
        "/proc/self/cmdline",
        "/dev/zero",
        "/root/.aws/credentials",
        "{root}/../outside.png",
        "{root}/./../../etc/passwd",
        "{root}/../allowed-not/still.png",  # a sibling whose name starts like the root
        "still.png",  # relative: resolved against the working directory, not a root
    ],
)
def test_paths_outside_the_roots_are_refused_naming_the_rule(root: Path, value: str) -> None:
    (root.parent / "outside.png").write_bytes(png_bytes())
    (root.parent / "allowed-not").mkdir(exist_ok=True)
    (root.parent / "allowed-not" / "still.png").write_bytes(png_bytes())
    with pytest.raises(InputNotAllowed) as info:
        policy_for(root).local_file("promptImage", value.format(root=root))
    message = str(info.value)
    assert message.startswith("promptImage (")
    assert "outside the allowed folders" in message
    assert ROOTS_ENV in message and "input_roots" in message
    assert "not its working directory" in message  # a deployment run: roots only


def test_existing_and_missing_files_outside_are_refused_alike(root: Path) -> None:
    # A parameter must not learn what exists outside the roots.
    policy = policy_for(root)
    texts = []
    for value in ("/etc/passwd", "/etc/no-such-file-here.png"):
        with pytest.raises(InputNotAllowed) as info:
            policy.local_file("promptImage", value)
        texts.append(str(info.value).split("): ", 1)[1])
    assert texts[0] == texts[1]


def test_a_symlink_inside_a_root_that_leads_outside_is_refused(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes())
    (root / "link.png").symlink_to(secret)
    (root / "dir-link").symlink_to(tmp_path)
    policy = policy_for(root)
    for value in (root / "link.png", root / "dir-link" / "secret.png"):
        with pytest.raises(InputNotAllowed, match="through a symbolic link"):
            policy.local_file("promptImage", str(value))
    # A link that stays inside is fine.
    (root / "inner.png").symlink_to(root / "still.png")
    assert policy.local_file("promptImage", str(root / "inner.png")) == (root / "still.png")


def test_symlink_loops_fifos_directories_and_missing_files_are_refused(root: Path) -> None:
    (root / "loop-a.png").symlink_to(root / "loop-b.png")
    (root / "loop-b.png").symlink_to(root / "loop-a.png")
    os.mkfifo(root / "pipe.png")
    (root / "folder.png").mkdir()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "sock.png"))
        policy = policy_for(root)
        cases = {
            "loop-a.png": "symbolic link loop",
            "pipe.png": "FIFO",
            "folder.png": "a directory",
            "sock.png": "a socket",
            "missing.png": "no such file",
        }
        for name, says in cases.items():
            with pytest.raises(InputError, match=says):
                policy.local_file("promptImage", str(root / name))


def test_open_checked_refuses_a_swapped_in_fifo_without_blocking(root: Path) -> None:
    # Checked as a file, then swapped for a FIFO before it is opened: opening does not block.
    path = policy_for(root).local_file("promptImage", str(root / "still.png"))
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(InputError, match="FIFO"):
        open_checked(path, "promptImage", str(path), 1024)


def test_open_checked_refuses_a_huge_sparse_file_by_its_size(root: Path) -> None:
    sparse = root / "huge.png"
    with sparse.open("wb") as file:
        file.truncate(4 * 1024**3)  # 4 GB, no blocks written
    with pytest.raises(InputError, match=r"4294967296 bytes .*at most 200 MB"):
        open_checked(sparse, "promptImage", str(sparse), 200 * 1024 * 1024)


def test_a_script_run_may_read_its_working_directory(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    script = InputPolicy.for_run(environ={}, deployment_run=False)
    assert script.local_file("promptImage", "still.png") == root / "still.png"
    deployment = InputPolicy.for_run(environ={}, deployment_run=True)
    with pytest.raises(InputNotAllowed, match="none are configured"):
        deployment.local_file("promptImage", "still.png")


def test_roots_and_buckets_come_from_the_environment_and_the_block(
    root: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    environ = {ROOTS_ENV: f"{root}{os.pathsep}  {os.pathsep}", BUCKETS_ENV: "stills, takes  cast"}
    policy = InputPolicy.for_run(
        destination_bucket="renders", roots=[str(other)], buckets=["inbox"], environ=environ,
        deployment_run=True,
    )  # fmt: skip
    assert policy.roots == (root.resolve(), other.resolve())
    assert policy.buckets == {"renders", "stills", "takes", "cast", "inbox"}


def test_for_blocks_reads_the_credentials_fields(root: Path) -> None:
    credentials = RunwayCredentials(
        api_key="key_" + "a" * 128, input_roots=[str(root)], input_buckets=["stills"]
    )

    class Destination:
        bucket_name = "renders"

    policy = InputPolicy.for_blocks(Destination(), credentials)  # type: ignore[arg-type]
    assert root.resolve() in policy.roots
    assert policy.buckets >= {"renders", "stills"}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("s3://other-team/stills/a.png", "not one this worker reads inputs from"),
        ("s3://renders/../other/a.png", "'..' segment"),
        ("s3://renders/stills/../../a.png", "'..' segment"),
        ("s3://renders/./a.png", "'.' or '..' segment"),
        ("s3://renders//a.png", "empty"),
        ("s3://renders", "no object key"),
        ("s3://renders/", "no object key"),
        ("s3://Renders/a.png", "not a valid S3 bucket name"),
        ("s3://renders%2Fother/a.png", "not a valid S3 bucket name"),
        ("s3://user@renders/a.png", "not a valid S3 bucket name"),
        ("s3://renders..x/a.png", "not a valid S3 bucket name"),
        ("s3:///a.png", "not a valid S3 bucket name"),
    ],
)
def test_s3_inputs_only_from_allowed_buckets_and_plain_keys(value: str, says: str) -> None:
    policy = policy_for(buckets=("renders",))
    with pytest.raises(InputError, match=says) as info:
        policy.s3_object("promptImage", value)
    assert str(info.value).startswith("promptImage (")


def test_an_allowed_object_is_split() -> None:
    assert policy_for(buckets=("renders",)).s3_object("x", "s3://renders/a/b.png") == (
        "renders", "a/b.png",
    )  # fmt: skip


def test_a_deployment_run_is_told_by_its_flow_run_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT__FLOW_RUN_ID", raising=False)
    assert not in_deployment_run()
    monkeypatch.setenv("PREFECT__FLOW_RUN_ID", str(uuid.uuid4()))
    assert in_deployment_run()


def test_a_flow_called_from_a_script_is_a_script_run(
    prefect_harness: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT__FLOW_RUN_ID", raising=False)

    @flow
    def probe() -> bool:
        return in_deployment_run()

    assert probe() is False

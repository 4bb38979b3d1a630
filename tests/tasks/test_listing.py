"""One LIST per folder instead of a GET per key (issue 20): what a listing may answer, and that
a listing gone stale can never make a run pay twice, give a name to two generations or vouch
for an output S3 does not hold."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from prefect import flow
from prefect_aws import S3Bucket

from prefect_runway.api import RunwayClient, WaitPolicy
from prefect_runway.tasks import listing as listing_module
from prefect_runway.tasks.generate import GenerationResult, generate
from prefect_runway.tasks.listing import KeyListing, list_folders
from prefect_runway.tasks.locations import NameTaken
from prefect_runway.tasks.plan import Action, GenerationPlan, list_for_plans, plan_generation
from prefect_runway.tasks.spec import GenerationSpec
from prefect_runway.testing.emulator import RunwayEmulator
from tests.media_samples import png_data_uri

FAST = WaitPolicy(poll_interval=0.05, jitter=0.1)


def spec(name: str, prompt: str = "a harbour at dawn") -> GenerationSpec:
    request = {
        "model": "gen4_turbo",
        "promptImage": png_data_uri(),
        "promptText": prompt,
        "ratio": "1280:720",
        "duration": 2,
    }
    return GenerationSpec(request=request, name=name)


@contextmanager
def counted(bucket: S3Bucket) -> Iterator[collections.Counter[str]]:
    client = bucket.credentials.get_s3_client()
    counts: collections.Counter[str] = collections.Counter()

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    client.meta.events.register("before-call.s3", count)
    try:
        yield counts
    finally:
        client.meta.events.unregister("before-call.s3", count)


def put(bucket: S3Bucket, key: str, body: bytes = b"{}") -> dict[str, Any]:
    client = bucket.credentials.get_s3_client()
    return dict(client.put_object(Bucket=bucket.bucket_name, Key=key, Body=body))


async def plan(
    generation: GenerationSpec, bucket: S3Bucket, client: RunwayClient, listing: KeyListing | None
) -> GenerationPlan:
    return await plan_generation(
        generation, destination=bucket, prefix="renders", client=client, listing=listing
    )


@flow(name="generate-planned")
async def generate_planned(
    planned: GenerationPlan, bucket: S3Bucket, client: RunwayClient
) -> GenerationResult:
    return await generate(
        planned.spec, destination=bucket, prefix="renders", client=client, wait_policy=FAST,
        plan=planned,
    )  # fmt: skip


# --- the listing itself ----------------------------------------------------------------------


async def test_a_listing_answers_for_the_folders_it_listed_whole_and_nothing_else(
    s3_bucket: S3Bucket,
) -> None:
    name = s3_bucket.bucket_name
    answer = put(s3_bucket, "runway-out/renders/a.mp4", b"12345")
    put(s3_bucket, "runway-out/renders/a.json")
    put(s3_bucket, "runway-out/renders/_runway/ledger/k-1.json")
    listing = await list_folders(s3_bucket, {"runway-out/renders": 4})
    assert listing.folders == {"runway-out/renders"}
    assert listing.absent("runway-out/renders/b.json")
    assert not listing.absent("runway-out/renders/a.json")
    # A subfolder's keys are not answered for (Delimiter): never "absent" by mistake.
    assert not listing.knows("runway-out/renders/_runway/ledger/k-1.json")
    assert not listing.absent("runway-out/renders/_runway/ledger/k-1.json")
    assert not listing.absent("elsewhere/a.json") and not listing.absent(None)
    head = s3_bucket.credentials.get_s3_client().head_object(
        Bucket=name, Key="runway-out/renders/a.mp4"
    )
    assert listing.head("runway-out/renders/a.mp4") == {
        "ContentLength": head["ContentLength"], "ETag": head["ETag"],
    }  # fmt: skip
    assert head["ETag"] == answer["ETag"]
    assert listing.head("runway-out/renders/b.mp4") is None
    with pytest.raises(KeyError):
        listing.head("elsewhere/a.mp4")


async def test_a_folder_larger_than_the_keys_asked_about_is_given_up(
    s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing_module, "_PAGE_SIZE", 2)
    for index in range(7):
        put(s3_bucket, f"runway-out/big/{index}.json")
    with counted(s3_bucket) as counts:
        given_up = await list_folders(s3_bucket, {"runway-out/big": 2})  # 1 page allowed
    assert counts == {"ListObjectsV2": 1}
    assert not given_up.knows("runway-out/big/9.json")
    assert not given_up.absent("runway-out/big/9.json")
    whole = await list_folders(s3_bucket, {"runway-out/big": 8})  # 4 pages allowed
    assert whole.absent("runway-out/big/9.json") and not whole.absent("runway-out/big/6.json")


async def test_a_listing_that_fails_is_never_taken_for_absence(s3_bucket: S3Bucket) -> None:
    client = s3_bucket.credentials.get_s3_client()

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        error = {"Error": {"Code": "AccessDenied", "Message": "no s3:ListBucket"}}
        raise ClientError(error, "ListObjectsV2")  # type: ignore[arg-type]

    client.meta.events.register("before-call.s3.ListObjectsV2", deny)
    try:
        listing = await list_folders(s3_bucket, {"runway-out/renders": 10})
    finally:
        client.meta.events.unregister("before-call.s3.ListObjectsV2", deny)
    assert listing.folders == frozenset()
    assert not listing.absent("runway-out/renders/harbour.json")


# --- the plan with a listing -----------------------------------------------------------------


async def test_new_generations_are_planned_with_one_list_per_folder_and_no_get(
    s3_bucket: S3Bucket, client: RunwayClient
) -> None:
    specs = [spec(f"clip-{index}", f"prompt {index}") for index in range(5)]
    without = [await plan(s, s3_bucket, client, None) for s in specs]
    with counted(s3_bucket) as counts:
        listing = await list_for_plans(s3_bucket, [p.location for p in without])
        plans = [await plan(s, s3_bucket, client, listing) for s in specs]
    # The sidecars' folder, the ledger entries' and the names': nothing else.
    assert counts == {"ListObjectsV2": 3}
    assert [p.step for p in plans] == [p.step for p in without]
    assert all(p.step.action is Action.SUBMIT for p in plans)
    with counted(s3_bucket) as counts:
        await plan(specs[0], s3_bucket, client, None)
    assert counts == {"GetObject": 3}  # what each generation cost before


async def test_a_stored_output_is_checked_by_the_listing_and_a_missing_one_restores(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    first = await generate_planned(
        await plan(spec("harbour"), s3_bucket, client, None), s3_bucket, client
    )
    assert first.status == "succeeded" and first.output_uri is not None
    generation = spec("harbour")
    listing = await list_for_plans(s3_bucket, [first_location(first, s3_bucket)])
    with counted(s3_bucket) as counts:
        stored = await plan(generation, s3_bucket, client, listing)
    assert stored.step.action is Action.STORED
    assert counts == {"GetObject": 1}  # the sidecar; its output's size and ETag were listed
    # The output gone, or another object in its place: the listing made after that never
    # vouches for it (a HEAD would not have either).
    s3 = s3_bucket.credentials.get_s3_client()
    output_key = first.output_uri.split("/", 3)[3]
    s3.put_object(Bucket=s3_bucket.bucket_name, Key=output_key, Body=b"not the video")
    listing = await list_for_plans(s3_bucket, [first_location(first, s3_bucket)])
    replaced = await plan(generation, s3_bucket, client, listing)
    assert replaced.step.action is Action.RESTORE, replaced.problem
    s3.delete_object(Bucket=s3_bucket.bucket_name, Key=output_key)
    listing = await list_for_plans(s3_bucket, [first_location(first, s3_bucket)])
    missing = await plan(generation, s3_bucket, client, listing)
    assert missing.step.action is Action.RESTORE and "missing" in (missing.problem or "")
    assert emulator.stats()["creates_total"] == 1


def first_location(result: GenerationResult, bucket: S3Bucket) -> Any:
    from prefect_runway.tasks.locations import OutputLocation

    return OutputLocation.of(prefix="renders", name="harbour", key=result.key)


# --- a stale listing, concurrent runs --------------------------------------------------------


async def test_a_stale_listing_never_pays_twice_for_runs_of_the_same_request(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    # Three runs planned the same generation from listings made before any of them wrote:
    # each plan says "new", and they run at once. The create-only intent lets one pay.
    generation = spec("harbour")
    located = await plan(generation, s3_bucket, client, None)
    listing = await list_for_plans(s3_bucket, [located.location])
    plans = [await plan(generation, s3_bucket, client, listing) for _ in range(3)]
    assert all(p.step.action is Action.SUBMIT for p in plans)
    results = await asyncio.gather(*(generate_planned(p, s3_bucket, client) for p in plans))
    assert {r.status for r in results} == {"succeeded"}
    assert len({r.task_id for r in results}) == 1
    assert emulator.stats()["creates_total"] == 1
    # And a listing older than a whole finished generation: its plan says "new", its run
    # finds the ledger's entry (412 on the intent) and pays nothing.
    late = await plan(generation, s3_bucket, client, listing)
    assert late.step.action is Action.SUBMIT
    again = await generate_planned(late, s3_bucket, client)
    assert again.output_uri == results[0].output_uri
    assert emulator.stats()["creates_total"] == 1


async def test_a_stale_listing_never_gives_one_name_to_two_generations(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    # Two different requests on one name, planned from one listing in which the name is free,
    # run at once: exactly one holds the name and pays; the other is refused before its POST.
    one, other = spec("harbour", "a harbour at dawn"), spec("harbour", "a harbour at dusk")
    located = [await plan(s, s3_bucket, client, None) for s in (one, other)]
    listing = await list_for_plans(s3_bucket, [p.location for p in located])
    plans = [await plan(s, s3_bucket, client, listing) for s in (one, other)]
    assert all(p.step.action is Action.SUBMIT for p in plans)
    outcomes = await asyncio.gather(
        *(generate_planned(p, s3_bucket, client) for p in plans), return_exceptions=True
    )
    succeeded = [o for o in outcomes if isinstance(o, GenerationResult) and o.status == "succeeded"]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(succeeded) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], NameTaken) or "NameTaken" in repr(refused[0]), refused[0]
    assert emulator.stats()["creates_total"] == 1

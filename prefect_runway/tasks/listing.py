"""One LIST per folder instead of a GET or HEAD per key, where a batch checks many keys.

Planning a batch asks, for every generation, whether its sidecar, its output, its name's
holder and its first attempt's ledger entry exist (``tasks/plan.py``): for a batch of new
generations, four requests each that all answer "no such key". One ``ListObjectsV2`` page
answers that for up to 1,000 keys of a folder (issue 20). S3's listings are strongly consistent
(a key written before the LIST is in it), so a key a complete listing leaves out was absent
when the listing was made, exactly as a 404 to a GET sent then would say.

That answer is only ever used where a GET's "absent" was used before: by the plan, before
any write, and every write that follows is conditional (the intent and the name claim are
create-only, ``tasks/ledger.py``), so a key created after the listing makes that write answer
412 and the run decide again on what is there, as it did when a GET's answer went stale
between the plan and the claim. A key the listing holds is still read (its contents decide);
only an output's size and ETag come from the listing instead of a HEAD.

A folder is listed only while that costs fewer requests than the keys it answers for: a folder
holding many more objects than the batch checks (a bucket of past renders) is given up after
``budget`` pages, and its keys are read one by one as before. A listing that fails (a policy
without ``s3:ListBucket``) is given up too, never taken for "absent".

Example:
    ```python
    listing = await list_folders(bucket, {"runway-out/renders": 200})
    if listing.absent("runway-out/renders/harbour.json"):
        ...  # no sidecar: no GET needed to know it
    ```
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prefect_runway.tasks.s3io import run_s3, s3_client

__all__ = ["KeyListing", "ListedObject", "folder_of", "list_folders"]

logger = logging.getLogger(__name__)

#: Keys per ``ListObjectsV2`` page: S3's most (tests make it smaller).
_PAGE_SIZE = 1000


@dataclass(frozen=True)
class ListedObject:
    """An object as a listing shows it: what a HEAD would have told the plan."""

    size: int
    etag: str


def folder_of(full_key: str) -> str:
    """The folder of a key in the bucket (``""`` at the bucket's root)."""
    return full_key.rpartition("/")[0]


@dataclass(frozen=True)
class KeyListing:
    """Which objects some folders held when they were listed (each folder listed whole).

    Attributes:
        folders: The folders listed completely (keys in the bucket, no trailing ``/``).
        objects: Their objects (not their subfolders'), by key.
    """

    folders: frozenset[str] = frozenset()
    objects: Mapping[str, ListedObject] = field(default_factory=dict)

    def knows(self, full_key: str | None) -> bool:
        """Whether this listing answers for ``full_key`` (its folder was listed whole)."""
        return full_key is not None and folder_of(full_key) in self.folders

    def absent(self, full_key: str | None) -> bool:
        """True only when the listing proves ``full_key`` did not exist; False if unknown."""
        return self.knows(full_key) and full_key not in self.objects

    def head(self, full_key: str) -> dict[str, Any] | None:
        """A HEAD-shaped answer (``ContentLength``, ``ETag``) for a key this listing knows."""
        if not self.knows(full_key):
            raise KeyError(f"{full_key} is not in a listed folder")
        listed = self.objects.get(full_key)
        if listed is None:
            return None
        return {"ContentLength": listed.size, "ETag": listed.etag}


async def list_folders(bucket: Any, folders: Mapping[str, int]) -> KeyListing:
    """List each folder whose listing costs fewer requests than the keys it answers for.

    Args:
        bucket: The ``S3Bucket`` block.
        folders: Folder (a key prefix in the bucket, no trailing ``/``) -> how many keys the
            caller will check in it. A folder is listed in at most ``max(1, count // 2)``
            pages, or given up.

    Returns:
        What the folders listed whole held.
    """
    client = s3_client(bucket)
    name = bucket.bucket_name

    def list_one(folder: str, budget: int) -> dict[str, ListedObject] | None:
        paginator = client.get_paginator("list_objects_v2")
        prefix = f"{folder}/" if folder else ""
        found: dict[str, ListedObject] = {}
        pages = paginator.paginate(
            Bucket=name, Prefix=prefix, Delimiter="/", PaginationConfig={"PageSize": _PAGE_SIZE}
        )
        for number, page in enumerate(pages, start=1):
            for item in page.get("Contents", []):
                found[str(item["Key"])] = ListedObject(int(item["Size"]), str(item["ETag"]))
            if page.get("IsTruncated") and number >= budget:
                return None  # more objects than keys asked about: GETs are cheaper
        return found

    listed: set[str] = set()
    objects: dict[str, ListedObject] = {}
    for folder, count in folders.items():
        try:
            found = await run_s3(list_one, folder, max(1, count // 2))
        except Exception as error:  # unknown is not absent: those keys are read one by one
            logger.info("could not list s3://%s/%s (%s)", name, folder, type(error).__name__)
            continue
        if found is not None:
            listed.add(folder)
            objects.update(found)
    return KeyListing(frozenset(listed), objects)

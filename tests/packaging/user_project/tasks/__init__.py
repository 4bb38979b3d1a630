"""The user's own `tasks` package: a Prefect project's usual folder, beside prefect-runway."""

from prefect import task

OWNER = "the user's tasks package"


@task
def scene_name(slug: str) -> str:
    return f"user-{slug}"

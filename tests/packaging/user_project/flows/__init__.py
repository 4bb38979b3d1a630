"""The user's own `flows` package: a Prefect project's usual folder, beside prefect-runway."""

OWNER = "the user's flows package"

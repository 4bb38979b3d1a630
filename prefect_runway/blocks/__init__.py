"""Prefect blocks of prefect-runway. S3 destinations use prefect-aws's S3Bucket block."""

from prefect_runway.blocks.credentials import RunwayCredentials

__all__ = ["RunwayCredentials"]

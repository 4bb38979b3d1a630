"""Prefect blocks of prefect-runway. S3 destinations use prefect-aws's S3Bucket block."""

from blocks.credentials import RunwayCredentials

__version__ = "0.1.0"
__all__ = ["RunwayCredentials"]

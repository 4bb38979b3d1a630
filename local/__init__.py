"""Local stand-ins for the services other than Runway (``emulator/`` plays Runway).

``local.s3.MotoServer`` runs moto's S3 server in a child process for the offline demo, the tests
and the benchmarks. Like ``tests/`` and ``bench/``, this package is used from a clone of the
repository and is not part of the wheel (moto comes with the ``dev`` extra).

Example:
    ```python
    from local.s3 import MotoServer

    with MotoServer() as server:
        bucket = server.new_bucket()  # a prefect-aws S3Bucket block on the local server
    ```
"""

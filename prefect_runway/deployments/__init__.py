"""Where scheduled, UI-started and event-triggered runs of the flows come from.

- ``prefect.yaml``: a deployment per flow on a process work pool (``prefect deploy --all
  --prefect-file deployments/prefect.yaml``), with a nightly fan-out of the manifests under a
  prefix, a sweep every 10 minutes for detached batches, and a batch started by the upstream
  event ``media.assets.ready``.
- ``serve``: the same deployments without a work pool
  (``python -m prefect_runway.deployments.serve``).
- ``announce``: how an upstream pipeline says new assets are ready (an event from a Prefect flow
  or a plain HTTP POST from any process).
- ``limits``: Prefect global concurrency limits per model from the organization's tier.
"""

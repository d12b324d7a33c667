"""What the baseline's RQ jobs (and the raw-RQ worker baseline) call."""


def noop(*args: object, **kwargs: object) -> None:
    """Do nothing: the benchmarks measure the machinery around a job."""

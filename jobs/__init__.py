"""Jobs: the task registry, job and schedule records, dispatch to RQ and the worker side."""

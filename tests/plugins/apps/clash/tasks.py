from jobs.registry import task


@task("demo.sleep", parameters={"properties": {}})
def sleep() -> None:
    """Not Conveyor's demo.sleep."""

from jobs.registry import task


@task("badschema.run", parameters={"properties": {"n": {"type": "integr"}}})
def run(n: int) -> None:
    """A typo in the schema."""

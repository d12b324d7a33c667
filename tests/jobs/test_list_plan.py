"""The job list's first page is read from an index, newest first, for staff and plain users alike:
its cost must not grow with the jobs table (P9 in docs/benchmarks-scale.md)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def page_query(client) -> str:  # type: ignore[no-untyped-def]
    """The SQL of the jobs page query behind `GET /api/v1/jobs/`, as it ran."""
    with CaptureQueriesContext(connection) as ran:
        assert client.get("/api/v1/jobs/").status_code == 200
    pages = [
        q["sql"]
        for q in ran.captured_queries
        if q["sql"].startswith("SELECT")
        and "LIMIT" in q["sql"]
        and "jobs_job_depends_on" not in q["sql"]
        and 'FROM "jobs_job"' in q["sql"]
    ]
    assert len(pages) == 1, [q["sql"] for q in ran.captured_queries]
    return pages[0]


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner may scan a small table whole: with scans off, only a missing index
            # leaves it a Seq Scan and a Sort.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("who", ["staff_api", "api"])
def test_the_first_page_is_read_from_an_index_without_sorting(who, request, api):
    api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}})
    explained = plan(page_query(request.getfixturevalue(who)))
    if connection.vendor == "postgresql":
        assert "Seq Scan on jobs_job" not in explained and "Sort" not in explained, explained
    else:
        assert "TEMP B-TREE" not in explained and "USING INDEX" in explained, explained

"""The OpenAPI schema says what the server checks: bounds, registered names, required bodies."""

import re
from typing import Any

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

from api.pagination import MAX_PAGE_SIZE
from jobs.firetimes import _cron_line
from jobs.registry import all_tasks
from jobs.services.jobs import BATCH_MAX


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The schema as built in this process (the test settings add a plug-in app's tasks)."""
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "patch", "put", "delete")
    }


def _component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_every_page_size_has_the_servers_bounds(schema):
    sizes = {
        operation_id: parameter["schema"]
        for operation_id, operation in _operations(schema).items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page_size"
    }
    expected = {"jobs_list", "schedules_list", "schedules_deleted", "tokens_list", "audit_events_list"}
    assert expected | {"jobs_history", "schedules_history", "schedules_versions", "schedules_runs"} <= set(sizes)
    for operation_id, size in sizes.items():
        assert (size.get("minimum"), size.get("maximum")) == (1, MAX_PAGE_SIZE), operation_id


def test_a_batch_has_between_one_and_batch_max_jobs(schema):
    jobs = schema["components"]["schemas"]["JobBatchInput"]["properties"]["jobs"]
    assert (jobs["minItems"], jobs["maxItems"]) == (1, BATCH_MAX)


def test_task_and_queue_names_are_enums_from_the_registry_and_settings(schema):
    registered = [task.name for task in all_tasks()]
    for name in ("JobSubmitInput", "ScheduleCronInput", "ScheduleAtInput"):
        properties = schema["components"]["schemas"][name]["properties"]
        assert sorted(_component(schema, properties["task"])["enum"]) == sorted(registered), name
        assert sorted(_component(schema, properties["queue"])["enum"]) == sorted(settings.QUEUE_NAMES), name
    retrieve = _operations(schema)["tasks_retrieve"]["parameters"]
    assert [_component(schema, p["schema"])["enum"] for p in retrieve if p["name"] == "name"] == [registered]


def test_token_name_length_and_expiry_are_described(schema):
    token = schema["components"]["schemas"]["TokenCreateInput"]["properties"]
    assert token["name"]["maxLength"] == 100
    assert "future" in token["expires_at"]["description"]


@pytest.mark.parametrize("line", ["0 3 * * *", " */5 1-5 * JAN mon-fri ", "@daily", "0\t0 1 1 *"])
def test_every_cron_line_the_server_takes_matches_the_pattern(schema, line):
    _cron_line(line)  # the server takes it
    pattern = schema["components"]["schemas"]["ScheduleCronInput"]["properties"]["cron"]["pattern"]
    assert re.search(pattern, line)
    assert not re.search(pattern, "0 3 * *")


@pytest.mark.parametrize("operation_id", ["schedules_create", "schedules_preview"])
def test_a_schedule_body_is_required(schema, operation_id):
    assert _operations(schema)[operation_id]["requestBody"]["required"] is True


def test_schedule_create_documents_its_headers_and_every_operation_its_406(schema):
    operations = _operations(schema)
    assert {"Location", "Idempotent-Replayed"} <= set(operations["schedules_create"]["responses"]["201"]["headers"])
    assert [name for name, operation in operations.items() if "406" not in operation["responses"]] == []


def test_a_tasks_parameters_are_an_object(schema):
    assert schema["components"]["schemas"]["TaskOutput"]["properties"]["parameters"]["type"] == "object"


def test_every_operation_has_a_summary_and_its_own_description(schema):
    # Conveyor's own operations; a plug-in app's views (/apps/..., here the example's) are its author's.
    operations = {name: op for name, op in _operations(schema).items() if not name.startswith("apps_")}
    assert not [name for name, operation in operations.items() if not operation.get("summary")]
    descriptions: dict[str, list[str]] = {}
    for name, operation in operations.items():
        descriptions.setdefault(operation.get("description", ""), []).append(name)
    assert not descriptions.get(""), "no description"
    assert not [names for names in descriptions.values() if len(names) > 1], "shared descriptions"


def _enums(node: Any, where: str = "") -> list[tuple[frozenset[Any], str]]:
    """Every enum in the schema, components and inline ones (parameters) alike, with where it is."""
    if isinstance(node, dict):
        found = [(frozenset(node["enum"]), where)] if "enum" in node else []
        return found + [pair for key, value in node.items() for pair in _enums(value, f"{where}/{key}")]
    if isinstance(node, list):
        return [pair for index, value in enumerate(node) for pair in _enums(value, f"{where}/{index}")]
    return []


def test_one_enum_per_value_set(schema):
    # A client generator makes a type per enum: the same values twice (JobsListStateItem beside
    # JobStateEnum) is two types for one thing.
    places: dict[frozenset[Any], list[str]] = {}
    for values, where in _enums(schema):
        places.setdefault(values, []).append(where)
    assert not {tuple(sorted(map(str, values))): where for values, where in places.items() if len(where) > 1}


def test_every_page_has_next_and_previous_present_and_nullable(schema):
    pages = {
        name: component
        for name, component in schema["components"]["schemas"].items()
        if {"next", "previous", "results"} <= set(component.get("properties", {}))
    }
    assert {"PaginatedJobOutputList", "AuditFeedOutput"} <= set(pages)
    for name, page in pages.items():
        assert {"next", "previous", "results"} <= set(page["required"]), name
        for link in ("next", "previous"):
            assert page["properties"][link]["type"] == ["string", "null"], name


def test_request_components_carry_no_request_suffix(schema):
    assert not [name for name in schema["components"]["schemas"] if name.endswith("InputRequest")]


LABELS = [
    {"team": "a"},
    {"a.b-c_d_": ""},
    {f"k{i}": "v" for i in range(20)},
    {f"k{i}": "v" for i in range(21)},
    {"a__b": "x"},
    {"__x": "y"},
    {"1a": "x"},
    {"": "x"},
    {"a:b": "x"},
    {"a" * 63: "x"},
    {"a" * 64: "x"},
    {"x": "v" * 256},
    {"x": "v" * 257},
]


@pytest.mark.parametrize("labels", LABELS, ids=range(len(LABELS)))
def test_the_schema_refuses_exactly_the_labels_the_server_refuses(schema, api, labels):
    rule = schema["components"]["schemas"]["JobSubmitInput"]["properties"]["labels"]
    body = {"task": "demo.sleep", "kwargs": {"seconds": 0}, "delay_seconds": 60, "labels": labels}
    status = api.post("/api/v1/jobs/", body, format="json").status_code
    assert status == (202 if Draft202012Validator(rule).is_valid(labels) else 400)


@pytest.mark.parametrize(
    "labels", [["team:a"], ["team:a:b"], ["team"], ["a__b:x"], ["1a:x"], [f"k{i}:v" for i in range(21)]]
)
def test_the_schema_refuses_exactly_the_label_filters_the_server_refuses(schema, api, labels):
    (rule,) = [p["schema"] for p in _operations(schema)["jobs_list"]["parameters"] if p["name"] == "label"]
    status = api.get("/api/v1/jobs/", {"label": labels}).status_code
    assert status == (200 if Draft202012Validator(rule).is_valid(labels) else 400)


def test_a_label_key_with_a_final_newline_is_refused(api):
    # JSON Schema's $ (ECMA 262) does not match before a final newline, so the server's must not.
    body = {"task": "demo.sleep", "kwargs": {"seconds": 0}, "labels": {"team\n": "a"}}
    assert api.post("/api/v1/jobs/", body, format="json").status_code == 400

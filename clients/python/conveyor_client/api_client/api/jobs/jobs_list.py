import datetime
from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.job_state_enum import JobStateEnum
from ...models.paginated_job_output_list import PaginatedJobOutputList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    created_after: datetime.datetime | Unset = UNSET,
    created_before: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    page_size: int | Unset = UNSET,
    queue: str | Unset = UNSET,
    schedule: UUID | Unset = UNSET,
    state: list[JobStateEnum] | Unset = UNSET,
    task: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_created_after: str | Unset = UNSET
    if not isinstance(created_after, Unset):
        json_created_after = created_after.isoformat()
    params["created_after"] = json_created_after

    json_created_before: str | Unset = UNSET
    if not isinstance(created_before, Unset):
        json_created_before = created_before.isoformat()
    params["created_before"] = json_created_before

    params["cursor"] = cursor

    json_label: list[str] | Unset = UNSET
    if not isinstance(label, Unset):
        json_label = label

    params["label"] = json_label

    params["page_size"] = page_size

    params["queue"] = queue

    json_schedule: str | Unset = UNSET
    if not isinstance(schedule, Unset):
        json_schedule = str(schedule)
    params["schedule"] = json_schedule

    json_state: list[str] | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = []
        for state_item_data in state:
            state_item = state_item_data.value
            json_state.append(state_item)

    params["state"] = json_state

    params["task"] = task

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/jobs/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PaginatedJobOutputList | Problem | None:
    if response.status_code == 200:
        response_200 = PaginatedJobOutputList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 406:
        response_406 = Problem.from_dict(response.json())

        return response_406

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PaginatedJobOutputList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    created_after: datetime.datetime | Unset = UNSET,
    created_before: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    page_size: int | Unset = UNSET,
    queue: str | Unset = UNSET,
    schedule: UUID | Unset = UNSET,
    state: list[JobStateEnum] | Unset = UNSET,
    task: str | Unset = UNSET,
) -> Response[PaginatedJobOutputList | Problem]:
    """List jobs.

     Your jobs (all jobs for staff), newest first, filtered by state, task, queue, schedule, label and
    creation
    time.

    Args:
        created_after (datetime.datetime | Unset):
        created_before (datetime.datetime | Unset):
        cursor (str | Unset):
        label (list[str] | Unset):
        page_size (int | Unset):
        queue (str | Unset):
        schedule (UUID | Unset):
        state (list[JobStateEnum] | Unset):
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedJobOutputList | Problem]
    """

    kwargs = _get_kwargs(
        created_after=created_after,
        created_before=created_before,
        cursor=cursor,
        label=label,
        page_size=page_size,
        queue=queue,
        schedule=schedule,
        state=state,
        task=task,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    created_after: datetime.datetime | Unset = UNSET,
    created_before: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    page_size: int | Unset = UNSET,
    queue: str | Unset = UNSET,
    schedule: UUID | Unset = UNSET,
    state: list[JobStateEnum] | Unset = UNSET,
    task: str | Unset = UNSET,
) -> PaginatedJobOutputList | Problem | None:
    """List jobs.

     Your jobs (all jobs for staff), newest first, filtered by state, task, queue, schedule, label and
    creation
    time.

    Args:
        created_after (datetime.datetime | Unset):
        created_before (datetime.datetime | Unset):
        cursor (str | Unset):
        label (list[str] | Unset):
        page_size (int | Unset):
        queue (str | Unset):
        schedule (UUID | Unset):
        state (list[JobStateEnum] | Unset):
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedJobOutputList | Problem
    """

    return sync_detailed(
        client=client,
        created_after=created_after,
        created_before=created_before,
        cursor=cursor,
        label=label,
        page_size=page_size,
        queue=queue,
        schedule=schedule,
        state=state,
        task=task,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    created_after: datetime.datetime | Unset = UNSET,
    created_before: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    page_size: int | Unset = UNSET,
    queue: str | Unset = UNSET,
    schedule: UUID | Unset = UNSET,
    state: list[JobStateEnum] | Unset = UNSET,
    task: str | Unset = UNSET,
) -> Response[PaginatedJobOutputList | Problem]:
    """List jobs.

     Your jobs (all jobs for staff), newest first, filtered by state, task, queue, schedule, label and
    creation
    time.

    Args:
        created_after (datetime.datetime | Unset):
        created_before (datetime.datetime | Unset):
        cursor (str | Unset):
        label (list[str] | Unset):
        page_size (int | Unset):
        queue (str | Unset):
        schedule (UUID | Unset):
        state (list[JobStateEnum] | Unset):
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedJobOutputList | Problem]
    """

    kwargs = _get_kwargs(
        created_after=created_after,
        created_before=created_before,
        cursor=cursor,
        label=label,
        page_size=page_size,
        queue=queue,
        schedule=schedule,
        state=state,
        task=task,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    created_after: datetime.datetime | Unset = UNSET,
    created_before: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    page_size: int | Unset = UNSET,
    queue: str | Unset = UNSET,
    schedule: UUID | Unset = UNSET,
    state: list[JobStateEnum] | Unset = UNSET,
    task: str | Unset = UNSET,
) -> PaginatedJobOutputList | Problem | None:
    """List jobs.

     Your jobs (all jobs for staff), newest first, filtered by state, task, queue, schedule, label and
    creation
    time.

    Args:
        created_after (datetime.datetime | Unset):
        created_before (datetime.datetime | Unset):
        cursor (str | Unset):
        label (list[str] | Unset):
        page_size (int | Unset):
        queue (str | Unset):
        schedule (UUID | Unset):
        state (list[JobStateEnum] | Unset):
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedJobOutputList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            created_after=created_after,
            created_before=created_before,
            cursor=cursor,
            label=label,
            page_size=page_size,
            queue=queue,
            schedule=schedule,
            state=state,
            task=task,
        )
    ).parsed

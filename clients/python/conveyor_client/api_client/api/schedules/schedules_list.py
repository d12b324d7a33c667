from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.paginated_schedule_output_list import PaginatedScheduleOutputList
from ...models.problem import Problem
from ...models.schedule_kind_enum import ScheduleKindEnum
from ...models.schedule_state_enum import ScheduleStateEnum
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    cursor: str | Unset = UNSET,
    kind: ScheduleKindEnum | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: ScheduleStateEnum | Unset = UNSET,
    task: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["cursor"] = cursor

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind.value

    params["kind"] = json_kind

    params["page_size"] = page_size

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state.value

    params["state"] = json_state

    params["task"] = task

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/schedules/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PaginatedScheduleOutputList | Problem | None:
    if response.status_code == 200:
        response_200 = PaginatedScheduleOutputList.from_dict(response.json())

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
) -> Response[PaginatedScheduleOutputList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    kind: ScheduleKindEnum | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: ScheduleStateEnum | Unset = UNSET,
    task: str | Unset = UNSET,
) -> Response[PaginatedScheduleOutputList | Problem]:
    """List schedules.

     Your schedules (all for staff), newest first, filtered by state, task and kind.

    Args:
        cursor (str | Unset):
        kind (ScheduleKindEnum | Unset): * `at` - At
            * `interval` - Interval
            * `cron` - Cron
        page_size (int | Unset):
        state (ScheduleStateEnum | Unset): * `active` - Active
            * `paused` - Paused
            * `finished` - Finished
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedScheduleOutputList | Problem]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        kind=kind,
        page_size=page_size,
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
    cursor: str | Unset = UNSET,
    kind: ScheduleKindEnum | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: ScheduleStateEnum | Unset = UNSET,
    task: str | Unset = UNSET,
) -> PaginatedScheduleOutputList | Problem | None:
    """List schedules.

     Your schedules (all for staff), newest first, filtered by state, task and kind.

    Args:
        cursor (str | Unset):
        kind (ScheduleKindEnum | Unset): * `at` - At
            * `interval` - Interval
            * `cron` - Cron
        page_size (int | Unset):
        state (ScheduleStateEnum | Unset): * `active` - Active
            * `paused` - Paused
            * `finished` - Finished
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedScheduleOutputList | Problem
    """

    return sync_detailed(
        client=client,
        cursor=cursor,
        kind=kind,
        page_size=page_size,
        state=state,
        task=task,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    kind: ScheduleKindEnum | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: ScheduleStateEnum | Unset = UNSET,
    task: str | Unset = UNSET,
) -> Response[PaginatedScheduleOutputList | Problem]:
    """List schedules.

     Your schedules (all for staff), newest first, filtered by state, task and kind.

    Args:
        cursor (str | Unset):
        kind (ScheduleKindEnum | Unset): * `at` - At
            * `interval` - Interval
            * `cron` - Cron
        page_size (int | Unset):
        state (ScheduleStateEnum | Unset): * `active` - Active
            * `paused` - Paused
            * `finished` - Finished
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedScheduleOutputList | Problem]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        kind=kind,
        page_size=page_size,
        state=state,
        task=task,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    kind: ScheduleKindEnum | Unset = UNSET,
    page_size: int | Unset = UNSET,
    state: ScheduleStateEnum | Unset = UNSET,
    task: str | Unset = UNSET,
) -> PaginatedScheduleOutputList | Problem | None:
    """List schedules.

     Your schedules (all for staff), newest first, filtered by state, task and kind.

    Args:
        cursor (str | Unset):
        kind (ScheduleKindEnum | Unset): * `at` - At
            * `interval` - Interval
            * `cron` - Cron
        page_size (int | Unset):
        state (ScheduleStateEnum | Unset): * `active` - Active
            * `paused` - Paused
            * `finished` - Finished
        task (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedScheduleOutputList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            cursor=cursor,
            kind=kind,
            page_size=page_size,
            state=state,
            task=task,
        )
    ).parsed

from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.schedule_at_input import ScheduleAtInput
from ...models.schedule_cron_input import ScheduleCronInput
from ...models.schedule_interval_input import ScheduleIntervalInput
from ...models.schedule_preview_output import SchedulePreviewOutput
from ...types import Response


def _get_kwargs(
    *,
    body: ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/schedules/preview/",
    }

    if isinstance(body, ScheduleAtInput) or isinstance(body, ScheduleIntervalInput):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SchedulePreviewOutput | None:
    if response.status_code == 200:
        response_200 = SchedulePreviewOutput.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | SchedulePreviewOutput]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput,
) -> Response[Problem | SchedulePreviewOutput]:
    """Preview a schedule's next fires.

     Checks a create body as POST /api/v1/schedules/ would and answers its next five fire times; nothing
    is
    saved.

    Args:
        body (ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SchedulePreviewOutput]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput,
) -> Problem | SchedulePreviewOutput | None:
    """Preview a schedule's next fires.

     Checks a create body as POST /api/v1/schedules/ would and answers its next five fire times; nothing
    is
    saved.

    Args:
        body (ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SchedulePreviewOutput
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput,
) -> Response[Problem | SchedulePreviewOutput]:
    """Preview a schedule's next fires.

     Checks a create body as POST /api/v1/schedules/ would and answers its next five fire times; nothing
    is
    saved.

    Args:
        body (ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SchedulePreviewOutput]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput,
) -> Problem | SchedulePreviewOutput | None:
    """Preview a schedule's next fires.

     Checks a create body as POST /api/v1/schedules/ would and answers its next five fire times; nothing
    is
    saved.

    Args:
        body (ScheduleAtInput | ScheduleCronInput | ScheduleIntervalInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SchedulePreviewOutput
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed

from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.job_event_output import JobEventOutput
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: UUID,
    *,
    last_event_id: int | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = str(last_event_id)

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/jobs/{id}/events/".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | JobEventOutput | Problem | None:
    if response.status_code == 200:
        response_200 = JobEventOutput.from_dict(response.text)

        return response_200

    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 406:
        response_406 = Problem.from_dict(response.json())

        return response_406

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | JobEventOutput | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> Response[Any | JobEventOutput | Problem]:
    """Follow a job's state and progress (Server-Sent Events).

     Server-Sent Events: `state` and `progress` events (id = the job's version) until the job is done; `:
    keep-alive` comments every 15 s; send Last-Event-ID to resume. Browsers: `new EventSource(url)`
    works with the session cookie (it sends `Accept: text/event-stream` and cannot send a token).
    401/404 come before the Accept check; an Accept without `text/event-stream`, `text/*` or `*/*` is a
    406. Served asynchronously by api/events.py; this action documents it.

    Args:
        id (UUID):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | JobEventOutput | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> Any | JobEventOutput | Problem | None:
    """Follow a job's state and progress (Server-Sent Events).

     Server-Sent Events: `state` and `progress` events (id = the job's version) until the job is done; `:
    keep-alive` comments every 15 s; send Last-Event-ID to resume. Browsers: `new EventSource(url)`
    works with the session cookie (it sends `Accept: text/event-stream` and cannot send a token).
    401/404 come before the Accept check; an Accept without `text/event-stream`, `text/*` or `*/*` is a
    406. Served asynchronously by api/events.py; this action documents it.

    Args:
        id (UUID):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | JobEventOutput | Problem
    """

    return sync_detailed(
        id=id,
        client=client,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> Response[Any | JobEventOutput | Problem]:
    """Follow a job's state and progress (Server-Sent Events).

     Server-Sent Events: `state` and `progress` events (id = the job's version) until the job is done; `:
    keep-alive` comments every 15 s; send Last-Event-ID to resume. Browsers: `new EventSource(url)`
    works with the session cookie (it sends `Accept: text/event-stream` and cannot send a token).
    401/404 come before the Accept check; an Accept without `text/event-stream`, `text/*` or `*/*` is a
    406. Served asynchronously by api/events.py; this action documents it.

    Args:
        id (UUID):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | JobEventOutput | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> Any | JobEventOutput | Problem | None:
    """Follow a job's state and progress (Server-Sent Events).

     Server-Sent Events: `state` and `progress` events (id = the job's version) until the job is done; `:
    keep-alive` comments every 15 s; send Last-Event-ID to resume. Browsers: `new EventSource(url)`
    works with the session cookie (it sends `Accept: text/event-stream` and cannot send a token).
    401/404 come before the Accept check; an Accept without `text/event-stream`, `text/*` or `*/*` is a
    406. Served asynchronously by api/events.py; this action documents it.

    Args:
        id (UUID):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | JobEventOutput | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            last_event_id=last_event_id,
        )
    ).parsed

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.task_enum import TaskEnum
from ...models.task_output import TaskOutput
from ...types import Response


def _get_kwargs(
    name: TaskEnum,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/tasks/{name}/".format(
            name=quote(str(name), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TaskOutput | None:
    if response.status_code == 200:
        response_200 = TaskOutput.from_dict(response.json())

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
) -> Response[Problem | TaskOutput]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    name: TaskEnum,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | TaskOutput]:
    """Get one registered task.

     A task by its registered name, with the JSON Schema of its arguments.

    Args:
        name (TaskEnum): * `accounts.check_engagement` - accounts.check_engagement
            * `accounts.purge_unactivated` - accounts.purge_unactivated
            * `demo.fail` - demo.fail
            * `demo.noop` - demo.noop
            * `demo.sleep` - demo.sleep
            * `http.request` - http.request
            * `mail.send` - mail.send
            * `web.page_length` - web.page_length

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TaskOutput]
    """

    kwargs = _get_kwargs(
        name=name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    name: TaskEnum,
    *,
    client: AuthenticatedClient,
) -> Problem | TaskOutput | None:
    """Get one registered task.

     A task by its registered name, with the JSON Schema of its arguments.

    Args:
        name (TaskEnum): * `accounts.check_engagement` - accounts.check_engagement
            * `accounts.purge_unactivated` - accounts.purge_unactivated
            * `demo.fail` - demo.fail
            * `demo.noop` - demo.noop
            * `demo.sleep` - demo.sleep
            * `http.request` - http.request
            * `mail.send` - mail.send
            * `web.page_length` - web.page_length

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TaskOutput
    """

    return sync_detailed(
        name=name,
        client=client,
    ).parsed


async def asyncio_detailed(
    name: TaskEnum,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | TaskOutput]:
    """Get one registered task.

     A task by its registered name, with the JSON Schema of its arguments.

    Args:
        name (TaskEnum): * `accounts.check_engagement` - accounts.check_engagement
            * `accounts.purge_unactivated` - accounts.purge_unactivated
            * `demo.fail` - demo.fail
            * `demo.noop` - demo.noop
            * `demo.sleep` - demo.sleep
            * `http.request` - http.request
            * `mail.send` - mail.send
            * `web.page_length` - web.page_length

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TaskOutput]
    """

    kwargs = _get_kwargs(
        name=name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    name: TaskEnum,
    *,
    client: AuthenticatedClient,
) -> Problem | TaskOutput | None:
    """Get one registered task.

     A task by its registered name, with the JSON Schema of its arguments.

    Args:
        name (TaskEnum): * `accounts.check_engagement` - accounts.check_engagement
            * `accounts.purge_unactivated` - accounts.purge_unactivated
            * `demo.fail` - demo.fail
            * `demo.noop` - demo.noop
            * `demo.sleep` - demo.sleep
            * `http.request` - http.request
            * `mail.send` - mail.send
            * `web.page_length` - web.page_length

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TaskOutput
    """

    return (
        await asyncio_detailed(
            name=name,
            client=client,
        )
    ).parsed

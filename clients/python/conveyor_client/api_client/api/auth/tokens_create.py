from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.token_create_input import TokenCreateInput
from ...models.token_created_output import TokenCreatedOutput
from ...types import Response


def _get_kwargs(
    *,
    body: TokenCreateInput,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/auth/tokens/",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TokenCreatedOutput | None:
    if response.status_code == 201:
        response_201 = TokenCreatedOutput.from_dict(response.json())

        return response_201

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
) -> Response[Problem | TokenCreatedOutput]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TokenCreateInput,
) -> Response[Problem | TokenCreatedOutput]:
    """Create an API token.

     The secret is in this response only (it is stored hashed); send it as `Authorization: Bearer
    <token>`. HTTP
    Basic is accepted here, to get a first token.

    Args:
        body (TokenCreateInput): An input serializer that refuses fields it does not declare
            (typos fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TokenCreatedOutput]
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
    body: TokenCreateInput,
) -> Problem | TokenCreatedOutput | None:
    """Create an API token.

     The secret is in this response only (it is stored hashed); send it as `Authorization: Bearer
    <token>`. HTTP
    Basic is accepted here, to get a first token.

    Args:
        body (TokenCreateInput): An input serializer that refuses fields it does not declare
            (typos fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TokenCreatedOutput
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TokenCreateInput,
) -> Response[Problem | TokenCreatedOutput]:
    """Create an API token.

     The secret is in this response only (it is stored hashed); send it as `Authorization: Bearer
    <token>`. HTTP
    Basic is accepted here, to get a first token.

    Args:
        body (TokenCreateInput): An input serializer that refuses fields it does not declare
            (typos fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TokenCreatedOutput]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TokenCreateInput,
) -> Problem | TokenCreatedOutput | None:
    """Create an API token.

     The secret is in this response only (it is stored hashed); send it as `Authorization: Bearer
    <token>`. HTTP
    Basic is accepted here, to get a first token.

    Args:
        body (TokenCreateInput): An input serializer that refuses fields it does not declare
            (typos fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TokenCreatedOutput
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed

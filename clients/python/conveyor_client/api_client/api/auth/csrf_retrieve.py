from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.csrf_token_output import CsrfTokenOutput
from ...models.problem import Problem
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/auth/csrf/",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CsrfTokenOutput | Problem | None:
    if response.status_code == 200:
        response_200 = CsrfTokenOutput.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 406:
        response_406 = Problem.from_dict(response.json())

        return response_406

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CsrfTokenOutput | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[CsrfTokenOutput | Problem]:
    """Get the CSRF token for session writes.

     The same token is set as the `csrftoken` cookie; an app on another origin cannot read that cookie,
    so it
    reads the token here and sends it as X-CSRFToken.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CsrfTokenOutput | Problem]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> CsrfTokenOutput | Problem | None:
    """Get the CSRF token for session writes.

     The same token is set as the `csrftoken` cookie; an app on another origin cannot read that cookie,
    so it
    reads the token here and sends it as X-CSRFToken.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CsrfTokenOutput | Problem
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[CsrfTokenOutput | Problem]:
    """Get the CSRF token for session writes.

     The same token is set as the `csrftoken` cookie; an app on another origin cannot read that cookie,
    so it
    reads the token here and sends it as X-CSRFToken.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CsrfTokenOutput | Problem]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> CsrfTokenOutput | Problem | None:
    """Get the CSRF token for session writes.

     The same token is set as the `csrftoken` cookie; an app on another origin cannot read that cookie,
    so it
    reads the token here and sends it as X-CSRFToken.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CsrfTokenOutput | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed

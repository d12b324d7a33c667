from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.job_batch_input import JobBatchInput
from ...models.job_batch_output import JobBatchOutput
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: JobBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/jobs/batch/",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> JobBatchOutput | Problem | None:
    if response.status_code == 202:
        response_202 = JobBatchOutput.from_dict(response.json())

        return response_202

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[JobBatchOutput | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: JobBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[JobBatchOutput | Problem]:
    """Submit many jobs at once.

     Up to the batch limit of submit bodies, all or nothing: one invalid item rejects the batch with a
    pointer to
    it, such as `/jobs/3/kwargs/x`.

    Args:
        idempotency_key (str | Unset):
        body (JobBatchInput): An input serializer that refuses fields it does not declare (typos
            fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobBatchOutput | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: JobBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> JobBatchOutput | Problem | None:
    """Submit many jobs at once.

     Up to the batch limit of submit bodies, all or nothing: one invalid item rejects the batch with a
    pointer to
    it, such as `/jobs/3/kwargs/x`.

    Args:
        idempotency_key (str | Unset):
        body (JobBatchInput): An input serializer that refuses fields it does not declare (typos
            fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobBatchOutput | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: JobBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[JobBatchOutput | Problem]:
    """Submit many jobs at once.

     Up to the batch limit of submit bodies, all or nothing: one invalid item rejects the batch with a
    pointer to
    it, such as `/jobs/3/kwargs/x`.

    Args:
        idempotency_key (str | Unset):
        body (JobBatchInput): An input serializer that refuses fields it does not declare (typos
            fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobBatchOutput | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: JobBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> JobBatchOutput | Problem | None:
    """Submit many jobs at once.

     Up to the batch limit of submit bodies, all or nothing: one invalid item rejects the batch with a
    pointer to
    it, such as `/jobs/3/kwargs/x`.

    Args:
        idempotency_key (str | Unset):
        body (JobBatchInput): An input serializer that refuses fields it does not declare (typos
            fail loudly) and
            values that are not of the declared JSON type (no string for an integer).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobBatchOutput | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed

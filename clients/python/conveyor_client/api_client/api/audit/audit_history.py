import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_model_enum import AuditModelEnum
from ...models.paginated_audit_entry_output_list import PaginatedAuditEntryOutputList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    model: AuditModelEnum,
    object_id: str,
    *,
    as_of: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_as_of: str | Unset = UNSET
    if not isinstance(as_of, Unset):
        json_as_of = as_of.isoformat()
    params["as_of"] = json_as_of

    params["cursor"] = cursor

    params["page_size"] = page_size

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/audit/{model}/{object_id}/history/".format(
            model=quote(str(model), safe=""),
            object_id=quote(str(object_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PaginatedAuditEntryOutputList | Problem | None:
    if response.status_code == 200:
        response_200 = PaginatedAuditEntryOutputList.from_dict(response.json())

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
) -> Response[PaginatedAuditEntryOutputList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    model: AuditModelEnum,
    object_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
) -> Response[PaginatedAuditEntryOutputList | Problem]:
    """Read one object's audit trail.

     The history of any audited object (Conveyor's models or a plug-in app's), newest first; `?as_of=T`
    starts at
    the state at T. Who may read it is the model's registered rule; anything else is a 404.

    Args:
        model (AuditModelEnum):
        object_id (str):
        as_of (datetime.datetime | Unset):
        cursor (str | Unset):
        page_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedAuditEntryOutputList | Problem]
    """

    kwargs = _get_kwargs(
        model=model,
        object_id=object_id,
        as_of=as_of,
        cursor=cursor,
        page_size=page_size,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    model: AuditModelEnum,
    object_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
) -> PaginatedAuditEntryOutputList | Problem | None:
    """Read one object's audit trail.

     The history of any audited object (Conveyor's models or a plug-in app's), newest first; `?as_of=T`
    starts at
    the state at T. Who may read it is the model's registered rule; anything else is a 404.

    Args:
        model (AuditModelEnum):
        object_id (str):
        as_of (datetime.datetime | Unset):
        cursor (str | Unset):
        page_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedAuditEntryOutputList | Problem
    """

    return sync_detailed(
        model=model,
        object_id=object_id,
        client=client,
        as_of=as_of,
        cursor=cursor,
        page_size=page_size,
    ).parsed


async def asyncio_detailed(
    model: AuditModelEnum,
    object_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
) -> Response[PaginatedAuditEntryOutputList | Problem]:
    """Read one object's audit trail.

     The history of any audited object (Conveyor's models or a plug-in app's), newest first; `?as_of=T`
    starts at
    the state at T. Who may read it is the model's registered rule; anything else is a 404.

    Args:
        model (AuditModelEnum):
        object_id (str):
        as_of (datetime.datetime | Unset):
        cursor (str | Unset):
        page_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedAuditEntryOutputList | Problem]
    """

    kwargs = _get_kwargs(
        model=model,
        object_id=object_id,
        as_of=as_of,
        cursor=cursor,
        page_size=page_size,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    model: AuditModelEnum,
    object_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
) -> PaginatedAuditEntryOutputList | Problem | None:
    """Read one object's audit trail.

     The history of any audited object (Conveyor's models or a plug-in app's), newest first; `?as_of=T`
    starts at
    the state at T. Who may read it is the model's registered rule; anything else is a 404.

    Args:
        model (AuditModelEnum):
        object_id (str):
        as_of (datetime.datetime | Unset):
        cursor (str | Unset):
        page_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedAuditEntryOutputList | Problem
    """

    return (
        await asyncio_detailed(
            model=model,
            object_id=object_id,
            client=client,
            as_of=as_of,
            cursor=cursor,
            page_size=page_size,
        )
    ).parsed

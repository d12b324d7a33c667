import datetime
from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_action_enum import AuditActionEnum
from ...models.audit_feed_output import AuditFeedOutput
from ...models.audit_model_enum import AuditModelEnum
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    action: AuditActionEnum | Unset = UNSET,
    actor: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    job: UUID | Unset = UNSET,
    model: AuditModelEnum | Unset = UNSET,
    object_id: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_action: str | Unset = UNSET
    if not isinstance(action, Unset):
        json_action = action.value

    params["action"] = json_action

    params["actor"] = actor

    params["cursor"] = cursor

    json_job: str | Unset = UNSET
    if not isinstance(job, Unset):
        json_job = str(job)
    params["job"] = json_job

    json_model: str | Unset = UNSET
    if not isinstance(model, Unset):
        json_model = model.value

    params["model"] = json_model

    params["object_id"] = object_id

    params["page_size"] = page_size

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    json_until: str | Unset = UNSET
    if not isinstance(until, Unset):
        json_until = until.isoformat()
    params["until"] = json_until

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/audit/events/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuditFeedOutput | Problem | None:
    if response.status_code == 200:
        response_200 = AuditFeedOutput.from_dict(response.json())

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
) -> Response[AuditFeedOutput | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    action: AuditActionEnum | Unset = UNSET,
    actor: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    job: UUID | Unset = UNSET,
    model: AuditModelEnum | Unset = UNSET,
    object_id: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> Response[AuditFeedOutput | Problem]:
    """Read the audit feed (staff).

     Every audited model's changes in one feed, newest first, filtered by model, object, actor, job,
    action and
    time. Audit records are read-only.

    Args:
        action (AuditActionEnum | Unset): * `changed` - changed
            * `created` - created
            * `deleted` - deleted
        actor (int | Unset):
        cursor (str | Unset):
        job (UUID | Unset):
        model (AuditModelEnum | Unset):
        object_id (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditFeedOutput | Problem]
    """

    kwargs = _get_kwargs(
        action=action,
        actor=actor,
        cursor=cursor,
        job=job,
        model=model,
        object_id=object_id,
        page_size=page_size,
        since=since,
        until=until,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    action: AuditActionEnum | Unset = UNSET,
    actor: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    job: UUID | Unset = UNSET,
    model: AuditModelEnum | Unset = UNSET,
    object_id: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> AuditFeedOutput | Problem | None:
    """Read the audit feed (staff).

     Every audited model's changes in one feed, newest first, filtered by model, object, actor, job,
    action and
    time. Audit records are read-only.

    Args:
        action (AuditActionEnum | Unset): * `changed` - changed
            * `created` - created
            * `deleted` - deleted
        actor (int | Unset):
        cursor (str | Unset):
        job (UUID | Unset):
        model (AuditModelEnum | Unset):
        object_id (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditFeedOutput | Problem
    """

    return sync_detailed(
        client=client,
        action=action,
        actor=actor,
        cursor=cursor,
        job=job,
        model=model,
        object_id=object_id,
        page_size=page_size,
        since=since,
        until=until,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    action: AuditActionEnum | Unset = UNSET,
    actor: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    job: UUID | Unset = UNSET,
    model: AuditModelEnum | Unset = UNSET,
    object_id: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> Response[AuditFeedOutput | Problem]:
    """Read the audit feed (staff).

     Every audited model's changes in one feed, newest first, filtered by model, object, actor, job,
    action and
    time. Audit records are read-only.

    Args:
        action (AuditActionEnum | Unset): * `changed` - changed
            * `created` - created
            * `deleted` - deleted
        actor (int | Unset):
        cursor (str | Unset):
        job (UUID | Unset):
        model (AuditModelEnum | Unset):
        object_id (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditFeedOutput | Problem]
    """

    kwargs = _get_kwargs(
        action=action,
        actor=actor,
        cursor=cursor,
        job=job,
        model=model,
        object_id=object_id,
        page_size=page_size,
        since=since,
        until=until,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    action: AuditActionEnum | Unset = UNSET,
    actor: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    job: UUID | Unset = UNSET,
    model: AuditModelEnum | Unset = UNSET,
    object_id: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
) -> AuditFeedOutput | Problem | None:
    """Read the audit feed (staff).

     Every audited model's changes in one feed, newest first, filtered by model, object, actor, job,
    action and
    time. Audit records are read-only.

    Args:
        action (AuditActionEnum | Unset): * `changed` - changed
            * `created` - created
            * `deleted` - deleted
        actor (int | Unset):
        cursor (str | Unset):
        job (UUID | Unset):
        model (AuditModelEnum | Unset):
        object_id (str | Unset):
        page_size (int | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditFeedOutput | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            action=action,
            actor=actor,
            cursor=cursor,
            job=job,
            model=model,
            object_id=object_id,
            page_size=page_size,
            since=since,
            until=until,
        )
    ).parsed

"""The FastAPI application: Runway's routes, output links, uploads and the admin API.

Runway routes (``/v1/...``) need ``Authorization: Bearer <key>`` (else 401) and
``X-Runway-Version: 2024-11-06`` (else 400), checked in that order; output links, the upload
URL and ``/_emulator/...`` need neither. Every error body is ``{"error": ...}`` (plus
``issues`` for validation failures).

Every generation endpoint of the catalogue (``catalogue.json``: image_to_video, text_to_video,
video_to_video, character_performance, text_to_image, image_upscale, video_upscale,
video_to_hdr, sound_effect, text_to_speech, speech_to_speech, video_to_audio, voice_dubbing,
voice_isolation) answers ``POST /v1/<endpoint>``; the original five models are validated by
:mod:`~prefect_runway.testing.emulator.validation`, every other model by
:mod:`~prefect_runway.testing.emulator.schema`. A task's outputs are served at
``/_outputs/{task}/{index}.{extension}`` (mp4, mov, zip, png, jpg, webp, svg, mp3, wav, flac,
ogg), one link per output.

In CometAPI mode (``config.mode == "cometapi"``, see
:mod:`prefect_runway.testing.emulator.cometapi`) the API routes are the creates CometAPI
documents (``POST /runwayml/v1/image_to_video``, ``character_performance``, ``video_to_video``,
``text_to_image``, ``video_upscale``; they answer a bare ``{"id"}``) and
``GET /runwayml/v1/tasks/{id}``; ``X-Runway-Version`` is required
on creates and optional on the GET (a wrong value still answers 400). ``/v1/...``, uploads,
DELETE and the organization routes answer 404. CometAPI's tighter limits (seed up to 999999999,
promptText up to 512) answer Runway's 400 validation shape. An unknown task, or one created
less than ``cometapi_not_exist_seconds`` ago, answers 400 ``{"code": "task_not_exist", ...}``.
Other errors keep Runway's ``{"error": ...}`` shape (what CometAPI answers there is UNCONFIRMED).

Admin API (no auth; for tests and benchmarks):

* ``GET /_emulator/stats``: counters (see :meth:`EmulatorState.stats`).
* ``GET /_emulator/tasks/{id}``: the internal record of any task, deleted ones included.
* ``POST /_emulator/faults``: replace the fault plan (body: ``FaultPlan`` JSON).
* ``POST /_emulator/reset``: forget tasks, uploads, counters and faults; restore the config.
* ``GET``/``POST /_emulator/config``: read, or change some settings of, the running config.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from prefect_runway.testing.emulator import cometapi
from prefect_runway.testing.emulator.config import API_VERSION, ENDPOINTS
from prefect_runway.testing.emulator.faults import Fault, FaultPlan
from prefect_runway.testing.emulator.formdata import FormDataError, boundary_of, read_form_data
from prefect_runway.testing.emulator.links import LinkCheck, sign_link, verify_link
from prefect_runway.testing.emulator.protocol import connection_for
from prefect_runway.testing.emulator.schema import validate_create
from prefect_runway.testing.emulator.state import ApiError, EmulatorState, OutputHandle, Task
from prefect_runway.testing.emulator.validation import (
    CreateRequest,
    Issue,
    cometapi_limit_issues,
    validate_upload_request,
    validate_usage_request,
)

__all__ = ["create_app"]

#: The creates CometAPI documents (reference/cometapi.md section 1.1).
COMETAPI_ENDPOINTS = (
    "image_to_video",
    "character_performance",
    "video_to_video",
    "text_to_image",
    "video_upscale",
)

#: Where CometAPI documents limits tighter than Runway's (seed, 512-character prompts): its
#: image-to-video page; the emulator applies the seed limit to character_performance too.
COMETAPI_TIGHTER_LIMITS = ("image_to_video", "character_performance")

UPLOAD_MIN_BYTES = 512
UPLOAD_MAX_BYTES = 200 * 1024 * 1024

_STATUS_MESSAGES = {
    429: "You have exceeded the rate limit for this endpoint.",
    500: "An internal error occurred.",
    502: "Bad gateway.",
    503: "Runway is shedding load. Please retry.",
    504: "The server is overloaded and could not satisfy the request in time.",
}

Handler = Callable[[Fault | None], Awaitable[Response]]


class _ResetResponse(Response):
    """Not a response: drops the connection with a TCP reset."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = connection_for(scope)
        if connection is None:
            # Served by something other than EmulatorH11Protocol (an in-process test client):
            # the nearest thing to a dropped connection is an exception.
            raise ConnectionResetError("emulated connection reset")
        connection.reset()


class _OutputResponse(Response):
    """Streams an output (or a range of it); can stop halfway and close, for ``truncate``."""

    def __init__(
        self,
        *,
        state: EmulatorState,
        handle: OutputHandle,
        status_code: int,
        headers: dict[str, str],
        start: int,
        end: int,
        truncate: bool,
    ) -> None:
        super().__init__(status_code=status_code, headers=headers)
        self.state = state
        self.handle = handle
        self.start = start
        self.end = end
        self.truncate = truncate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        connection = connection_for(scope)
        stop = self.start + (self.end - self.start) // 2 if self.truncate else self.end
        async for piece in self.handle.iter_range(self.start, stop):
            if connection is not None and connection.closing:
                return  # the client left; do not make the rest of a large body for nobody
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            self.state.counters["download_bytes"] += len(piece)
        if self.truncate:
            if connection is None:
                raise ConnectionResetError("emulated truncated body")
            connection.close_after_flush()
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _issues_error(issues: list[Issue]) -> ApiError:
    return ApiError(400, "Validation of body failed", issues=[issue.to_json() for issue in issues])


def _parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """Parse a single ``bytes=`` range into ``[start, end)``.

    Returns:
        The range; None to ignore the header (malformed or several ranges: answer 200 with the
        whole body, as RFC 9110 allows); False if unsatisfiable (416).
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return False
            return max(0, size - suffix), size
        start = int(first)
        end = size - 1 if last == "" else int(last)
    except ValueError:
        return None
    if start >= size:
        return False
    if end < start:
        return None
    return start, min(end, size - 1) + 1


def create_app(state: EmulatorState) -> FastAPI:
    """Build the ASGI app serving ``state``.

    Args:
        state: The emulated organization; the app reads and changes it on its event loop.
    """
    comet = state.config.mode == "cometapi"
    prefix = "/runwayml/v1" if comet else "/v1"

    app = FastAPI(
        title="Runway API emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.emulator = state

    # ------------------------------------------------------------------------ error shapes

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error.body, status_code=error.status, headers=error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        status = error.status_code
        if comet and status == 405:
            # The proxy offers no DELETE (or other methods) on its routes: as if absent.
            status = 404
        message = {404: "Not found.", 405: "Method not allowed."}.get(status, str(error.detail))
        return _error(status, message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        return _error(400, f"Invalid request: {error.errors()}")

    # ---------------------------------------------------------------------------- helpers

    def check_auth(request: Request, *, version_optional: bool = False) -> None:
        authorization = request.headers.get("authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key != state.config.api_key:
            raise ApiError(401, "Invalid API key. Check the Authorization header.")
        version = request.headers.get("x-runway-version")
        if version_optional and version is None:
            return
        if version != API_VERSION:
            raise ApiError(
                400,
                f"A valid X-Runway-Version header is required. Supported: {API_VERSION}.",
            )

    async def with_faults(operation: str, names: tuple[str, ...], handler: Handler) -> Response:
        """Run ``handler`` under whatever fault the plan holds for this request."""
        fault = state.faults.pick(operation, *names)
        if fault is not None:
            if fault.kind == "status":
                assert fault.status is not None
                headers: dict[str, str] = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                    headers["retry-after-ms"] = str(round(fault.retry_after * 1000))
                message = _STATUS_MESSAGES.get(fault.status, "Emulated error.")
                return _error(fault.status, message, headers)
            if fault.kind == "reset_before":
                return _ResetResponse()
            if fault.kind == "not_found":
                if comet and operation == "poll":
                    state.counters["task_not_exist_answers"] += 1
                    return JSONResponse(cometapi.not_exist_body(), status_code=400)
                return _error(404, "Not found.")
            if fault.kind == "expire_link":
                return _error(403, "The link has expired.")
        try:
            response = await handler(fault)
        except ApiError as error:
            response = JSONResponse(error.body, status_code=error.status, headers=error.headers)
        if fault is not None and fault.kind == "reset_after":
            return _ResetResponse()
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        return response

    async def json_body(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "The request body is not valid JSON.") from None

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def output_urls(request: Request) -> Callable[[Task], list[str]]:
        def make(task: Task) -> list[str]:
            expires = state.wall_clock() + state.config.link_ttl_seconds
            extension = task.output_extension
            urls = []
            for index in range(task.output_count):
                token = sign_link(state.link_secret, task.id, index, expires)
                urls.append(
                    f"{base_url(request)}/_outputs/{task.id}/{index}.{extension}?_jwt={token}"
                )
            return urls

        return make

    # ------------------------------------------------------------------------------ creates

    async def create(
        request: Request,
        endpoint: str,
        validate: Callable[[Any, Callable[[str], str | None]], CreateRequest | list[Issue]],
    ) -> Response:
        created = False
        try:
            check_auth(request)
            raw = await request.body()
            try:
                body: Any = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                body = None
            model = body.get("model") if isinstance(body, dict) else None
            names = (endpoint, model) if isinstance(model, str) else (endpoint,)

            async def handler(_fault: Fault | None) -> Response:
                nonlocal created
                if body is None:
                    raise ApiError(400, "The request body is not valid JSON.")
                checked = validate(body, state.resolve_upload)
                if comet and endpoint in COMETAPI_TIGHTER_LIMITS:
                    issues = checked if isinstance(checked, list) else []
                    issues = issues + cometapi_limit_issues(body, issues)
                    if issues:
                        checked = issues
                if isinstance(checked, list):
                    raise _issues_error(checked)
                task = await state.create_task(checked)
                created = True
                if comet:
                    return JSONResponse({"id": task.id})
                return JSONResponse({"id": task.id, "estimatedCost": {"credits": task.estimate}})

            return await with_faults("create", names, handler)
        finally:
            if not created:
                state.counters["rejected_creates"] += 1

    def add_create_route(endpoint: str) -> None:
        def check(body: Any, resolver: Callable[[str], str | None]) -> CreateRequest | list[Issue]:
            return validate_create(endpoint, body, resolver)

        async def create_route(request: Request) -> Response:
            return await create(request, endpoint, check)

        app.add_api_route(
            f"{prefix}/{endpoint}", create_route, methods=["POST"], name=f"create_{endpoint}"
        )

    for served in COMETAPI_ENDPOINTS if comet else ENDPOINTS:
        add_create_route(served)

    # -------------------------------------------------------------------------------- tasks

    @app.get(f"{prefix}/tasks/{{task_id}}")
    async def get_task(request: Request, task_id: str) -> Response:
        check_auth(request, version_optional=comet)
        state.counters["gets"] += 1

        async def handler(_fault: Fault | None) -> Response:
            task = state.visible_task(task_id)
            if comet:
                fresh_until = (
                    task.created_mono + state.config.cometapi_not_exist_seconds
                    if task is not None
                    else None
                )
                if task is None or (fresh_until is not None and state.clock() < fresh_until):
                    state.counters["task_not_exist_answers"] += 1
                    return JSONResponse(cometapi.not_exist_body(), status_code=400)
                return JSONResponse(cometapi.task_details(state, task, output_urls(request)))
            if task is None:
                raise ApiError(404, "Task not found.")
            body = state.task_json(task, output_urls(request))
            if body.get("status") == "SUCCEEDED" and task.first_seen_succeeded is None:
                task.first_seen_succeeded = state.clock()
            return JSONResponse(body)

        return await with_faults("poll", ("tasks",), handler)

    if not comet:
        # CometAPI documents no DELETE: it answers 404 there (see _http_error).
        @app.delete("/v1/tasks/{task_id}")
        async def delete_task(request: Request, task_id: str) -> Response:
            check_auth(request)
            state.counters["deletes"] += 1

            async def handler(_fault: Fault | None) -> Response:
                if not state.delete_task(task_id):
                    raise ApiError(404, "Task not found.")
                return Response(status_code=204)

            return await with_faults("delete", ("tasks",), handler)

    # ------------------------------------------------------------------------------ outputs

    @app.api_route("/_outputs/{task_id}/{name}", methods=["GET", "HEAD"])
    async def download(request: Request, task_id: str, name: str) -> Response:
        state.counters["downloads" if request.method == "GET" else "download_heads"] += 1

        async def handler(fault: Fault | None) -> Response:
            stem, dot, extension = name.partition(".")
            if not stem.isdigit() or dot != "." or not extension.isalnum():
                raise ApiError(404, "Not found.")
            index = int(stem)
            token = request.query_params.get("_jwt", "")
            check = verify_link(state.link_secret, token, task_id, index, state.wall_clock())
            if check is LinkCheck.EXPIRED:
                raise ApiError(403, "The link has expired.")
            if check is LinkCheck.INVALID:
                raise ApiError(403, "Invalid or missing signature.")
            task = state.visible_task(task_id)
            if task is None or task.status_at(state.clock()) != "SUCCEEDED":
                raise ApiError(404, "Not found.")
            if extension != task.output_extension:
                raise ApiError(404, "Not found.")
            if request.method == "GET" and task.first_download is None:
                task.first_download = state.clock()
            handle = await state.output(task, index)
            if handle is None:
                raise ApiError(404, "Not found.")
            headers = {"Content-Type": handle.content_type, "Accept-Ranges": "bytes"}
            if handle.video is not None:
                headers["ETag"] = f'"{handle.video.sha256}"'
            start, end, status = 0, handle.size, 200
            range_header = request.headers.get("range")
            if range_header and not (fault is not None and fault.kind == "ignore_range"):
                parsed = _parse_range(range_header, handle.size)
                if parsed is False:
                    raise ApiError(
                        416,
                        "Range not satisfiable.",
                        headers={"Content-Range": f"bytes */{handle.size}"},
                    )
                if isinstance(parsed, tuple):
                    start, end = parsed
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end - 1}/{handle.size}"
            headers["Content-Length"] = str(end - start)
            return _OutputResponse(
                state=state,
                handle=handle,
                status_code=status,
                headers=headers,
                start=start,
                end=end,
                truncate=fault is not None and fault.kind == "truncate",
            )

        return await with_faults("download", ("outputs",), handler)

    # ------------------------------------------------------------------------------ uploads

    if not comet:
        # CometAPI documents no uploads or organization routes: they answer 404.
        @app.post("/v1/uploads")
        async def create_upload(request: Request) -> Response:
            check_auth(request)
            state.counters["upload_requests"] += 1

            async def handler(_fault: Fault | None) -> Response:
                checked = validate_upload_request(await json_body(request))
                if isinstance(checked, list):
                    raise _issues_error(checked)
                filename, media_type = checked
                upload = state.create_upload(filename, media_type)
                return JSONResponse(
                    {
                        "uploadUrl": f"{base_url(request)}/_uploads/{upload.id}",
                        "fields": upload.fields,
                        "runwayUri": upload.runway_uri,
                    }
                )

            return await with_faults("upload", ("uploads",), handler)

        @app.post("/_uploads/{upload_id}")
        async def store_upload(request: Request, upload_id: str) -> Response:
            async def handler(_fault: Fault | None) -> Response:
                upload = state.uploads.get(upload_id)
                if upload is None:
                    raise ApiError(404, "No such upload.")
                if state.wall_clock() >= upload.url_expires_wall:
                    raise ApiError(403, "Request has expired.")
                boundary = boundary_of(request.headers.get("content-type", ""))
                if boundary is None:
                    raise ApiError(400, "The body must be multipart/form-data.")
                path = state.new_upload_path()
                try:
                    form = await read_form_data(
                        request.stream(), boundary, path, max_file_bytes=UPLOAD_MAX_BYTES
                    )
                    if any(form.fields.get(key) != value for key, value in upload.fields.items()):
                        raise ApiError(
                            403, "Invalid policy or signature: send every field as given."
                        )
                    if form.file_sha256 is None:
                        raise ApiError(400, "The form has no file part named 'file'.")
                    if form.file_size < UPLOAD_MIN_BYTES:
                        raise ApiError(400, f"The file is smaller than {UPLOAD_MIN_BYTES} bytes.")
                    if form.file_size > UPLOAD_MAX_BYTES:
                        raise ApiError(400, "The file is larger than 200 MB.")
                except FormDataError as error:
                    path.unlink(missing_ok=True)
                    raise ApiError(400, f"Malformed multipart/form-data: {error}") from None
                except ApiError:
                    path.unlink(missing_ok=True)
                    raise
                state.store_upload(upload, path, form.file_size, form.file_sha256)
                return Response(status_code=204)

            return await with_faults("upload", ("storage",), handler)

        # ------------------------------------------------------------------------- organization

        @app.get("/v1/organization")
        async def organization(request: Request) -> Response:
            check_auth(request)
            state.counters["organization_reads"] += 1

            async def handler(_fault: Fault | None) -> Response:
                return JSONResponse(state.organization())

            return await with_faults("organization", ("organization",), handler)

        @app.post("/v1/organization/usage")
        async def organization_usage(request: Request) -> Response:
            check_auth(request)

            async def handler(_fault: Fault | None) -> Response:
                checked = validate_usage_request(await json_body(request))
                if isinstance(checked, list):
                    raise _issues_error(checked)
                today = datetime.fromtimestamp(state.wall_clock(), UTC).date()
                start = (
                    date.fromisoformat(checked["startDate"])
                    if "startDate" in checked
                    else today - timedelta(days=30)
                )
                before = (
                    date.fromisoformat(checked["beforeDate"])
                    if "beforeDate" in checked
                    else start + timedelta(days=30)
                )
                if before <= start:
                    raise _issues_error(
                        [Issue("custom", ("beforeDate",), "beforeDate must be after startDate.")]
                    )
                if before > start + timedelta(days=90):
                    raise _issues_error(
                        [
                            Issue(
                                "custom",
                                ("beforeDate",),
                                "beforeDate must be at most 90 days after startDate.",
                            )
                        ]
                    )
                return JSONResponse(state.usage(start, before))

            return await with_faults("organization", ("usage",), handler)

    # -------------------------------------------------------------------------------- admin

    @app.get("/_emulator/stats")
    async def admin_stats() -> Response:
        return JSONResponse(state.stats())

    @app.get("/_emulator/tasks/{task_id}")
    async def admin_task(task_id: str) -> Response:
        record = await state.task_record(task_id)
        if record is None:
            return _error(404, "No such task.")
        return JSONResponse(record)

    @app.post("/_emulator/faults")
    async def admin_faults(request: Request) -> Response:
        try:
            plan = FaultPlan.model_validate(await json_body(request))
        except ValidationError as error:
            return JSONResponse(
                {"error": "Invalid fault plan.", "detail": json.loads(error.json())},
                status_code=400,
            )
        state.faults.set_plan(plan)
        return JSONResponse(plan.model_dump(mode="json"))

    @app.post("/_emulator/reset")
    async def admin_reset() -> Response:
        state.reset()
        return Response(status_code=204)

    @app.get("/_emulator/config")
    async def admin_get_config() -> Response:
        return JSONResponse(state.config.model_dump(mode="json"))

    @app.post("/_emulator/config")
    async def admin_set_config(request: Request) -> Response:
        changes = await json_body(request)
        if not isinstance(changes, dict):
            return _error(400, "The body must be a JSON object of settings to change.")
        fixed = sorted({"host", "port", "mode"} & set(changes))
        if fixed:
            return _error(400, f"These settings cannot change while running: {fixed}.")
        try:
            config = state.update_config(changes)
        except ValidationError as error:
            return JSONResponse(
                {"error": "Invalid config.", "detail": json.loads(error.json())},
                status_code=400,
            )
        return JSONResponse(config.model_dump(mode="json"))

    return app

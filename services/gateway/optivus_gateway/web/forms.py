"""multipart/form-data read as it arrives, within bounds: the file part
streams into an upload Receiver (whose size limit cuts it on the chunk
that passes it), every other field is kept in memory up to MAX_FIELD
bytes, at most MAX_FIELDS fields and one file. Starlette's own form
parser spools files to /tmp without a size limit, so it is not used."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ..uploads import Receiver
from .errors import ApiError

MAX_FIELDS = 64
MAX_FIELD = 64 * 1024


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    receiver: Receiver | None = None
    filename: str = ""

    def get(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None

    def all(self, name: str) -> list[str]:
        return self.fields.get(name, []) + self.fields.get(name + "[]", [])


def _parse(step, *args) -> None:
    try:
        step(*args)
    except MultipartParseError as exc:
        raise ApiError(400, f"the multipart body is malformed ({exc})", "invalid_multipart") from None


# open_file(filename, content_type) -> a Receiver for the file part
OpenFile = Callable[[str, str], Awaitable[Receiver]]


async def read_form(request: Request, file_field: str, open_file: OpenFile) -> Form:
    """The form; its one file (the part named `file_field`) is already in
    its Receiver, not yet finished. Raises ApiError for a bad form and
    lets the Receiver's limit errors through (the file is then removed)."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise ApiError(400, "send the request as multipart/form-data", "invalid_content_type")
    form = Form()
    state: dict = {"headers": {}, "field": b"", "value": b"", "name": None, "data": None, "opening": None}
    pending: list = []  # receivers to open, outside the parser's synchronous callbacks

    def on_part_begin():
        state.update(headers={}, name=None, data=None)

    def on_header_field(data, start, end):
        state["field"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"][state["field"].lower()] = state["value"]
        state.update(field=b"", value=b"")

    def on_headers_finished():
        _, options = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        state["name"] = name
        if b"filename" in options:
            if name != file_field or form.receiver is not None or pending:
                raise ApiError(400, f"only one file may be sent, in the `{file_field}` field", "unexpected_file")
            filename = options[b"filename"].decode("utf-8", "replace")
            form.filename = filename
            pending.append((filename, state["headers"].get(b"content-type", b"").decode("latin-1")))
            state["data"] = "file"
        else:
            if sum(len(v) for v in form.fields.values()) >= MAX_FIELDS:
                raise ApiError(400, f"a form may have at most {MAX_FIELDS} fields", "too_many_fields")
            state["data"] = bytearray()

    def on_part_data(data, start, end):
        if state["data"] == "file":
            state.setdefault("chunks", []).append(bytes(data[start:end]))
        else:
            state["data"] += data[start:end]
            if len(state["data"]) > MAX_FIELD:
                raise ApiError(400, f"the field `{state['name']}` is longer than {MAX_FIELD // 1024} KB",
                               "field_too_long", state["name"])

    def on_part_end():
        if state["data"] != "file" and state["data"] is not None:
            form.fields.setdefault(state["name"], []).append(bytes(state["data"]).decode("utf-8", "replace"))

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end})
    try:
        async for chunk in request.stream():
            _parse(parser.write, chunk)
            if pending:
                form.receiver = await open_file(*pending.pop())
            for piece in state.pop("chunks", []):
                form.receiver.write(piece)
        _parse(parser.finalize)
    except BaseException:
        if form.receiver is not None:
            form.receiver.abort()
        raise
    if form.receiver is None:
        raise ApiError(400, f"the `{file_field}` field (a file) is missing", "missing_file", file_field)
    return form

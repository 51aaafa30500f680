"""A browser form's file goes straight into the encrypted staging area, never to a plain
temporary file: this upload handler encrypts each piece as it arrives (`staging`). Each file
counts against the person's uploads before a byte of it is written, and one the view did not
adopt is removed as soon as the view has answered."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from netcourt.core.problems import Problem
from netcourt.evidence.staging import StagingArea
from netcourt.vault.scratch import new_scratch_key


class StagedFile(UploadedFile):
    """What the view gets for the file field: where the bytes are staged, and under what key;
    or, with ``refusal``, why nothing was staged (the person has too many files on their way
    in), raised when the view takes the file."""

    def __init__(
        self,
        upload_id: uuid.UUID,
        key: bytes,
        name: str,
        size: int,
        refusal: Problem | None = None,
    ) -> None:
        super().__init__(file=None, name=name, size=size)
        self.upload_id = upload_id
        self.key = key
        self.refusal = refusal
        self.adopted = False  # an upload now: kept when the request ends

    def taken(self) -> None:
        """Raise the refusal, if the file was refused before it was staged."""
        if self.refusal is not None:
            raise self.refusal


class StagingUploadHandler(FileUploadHandler):
    def __init__(self, area: StagingArea, max_bytes: int, request: Any) -> None:
        super().__init__(request)
        self.user = request.user
        self.area = area
        self.max_bytes = max_bytes
        self.upload_id = uuid.uuid4()
        self.key = new_scratch_key()
        self.offset = 0
        self.staged = False
        self.refusal: Problem | None = None
        self.result: StagedFile | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        from netcourt.evidence.actions import count_upload

        super().new_file(*args, **kwargs)
        if self.staged or self.refusal is not None:
            raise StopUpload(connection_reset=True)  # one file per form
        try:
            count_upload(self.user)
        except Problem as refused:
            self.refusal = refused  # nothing written: its bytes are read past
            return
        self.area.create(str(self.upload_id))
        self.staged = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.refusal is not None:
            self.offset += len(raw_data)  # its size, for the form; the bytes are dropped
            return None
        if self.offset + len(raw_data) > self.max_bytes:
            self.area.remove(str(self.upload_id))
            raise StopUpload(connection_reset=True)
        self.offset += self.area.append(
            str(self.upload_id), self.key, self.offset, _Once(raw_data), len(raw_data), sync=False
        )
        return None

    def file_complete(self, file_size: int) -> StagedFile:
        if self.refusal is None:
            self.area.sync(str(self.upload_id))
        self.result = StagedFile(
            self.upload_id, self.key, self.file_name or "", self.offset, self.refusal
        )
        return self.result

    def discard(self) -> None:
        """Remove the staged file unless the view adopted it as an upload."""
        if self.staged and not (self.result is not None and self.result.adopted):
            self.area.remove(str(self.upload_id))


class _Once:
    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def read(self, size: int = -1, /) -> bytes:
        data, self._data = self._data or b"", None
        return data


def adopt(user: Any, case: Any, staged: StagedFile) -> Any:
    """The upload a form's staged file becomes (the caller submits or attaches it)."""
    from netcourt.evidence.actions import adopt_staged

    staged.taken()
    upload = adopt_staged(
        user,
        case.pk,
        staged.upload_id,
        staged.key,
        staged.name or "",
        staged.size or 0,
        counted=True,
    )
    staged.adopted = True
    return upload


@contextmanager
def stage_files(request: Any, max_bytes: int) -> Iterator[None]:
    """While inside, the files of this request's form go straight into the encrypted staging
    area as they arrive (the view is csrf_exempt and checks CSRF inside this, in an inner
    view), each counted against the person's uploads first (`count_upload`). When the view
    has answered, a staged file it did not adopt (a refused CSRF token, an unknown step, an
    invalid form, a refused step) is removed at once."""
    from netcourt.evidence.actions import staging

    handler = StagingUploadHandler(staging(), max_bytes, request)
    request.upload_handlers = [handler]
    try:
        yield
    finally:
        handler.discard()


def file_missing(form: Any, field: str) -> None:
    """Say on ``field`` that its file did not arrive (none chosen, or cut off at the limit)."""
    if field not in form.errors:
        form.add_error(
            field,
            _("The file did not arrive, or it is larger than the court takes. Choose it again."),
        )

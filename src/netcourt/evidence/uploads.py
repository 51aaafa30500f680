"""A browser form's file goes straight into the encrypted staging area, never to a plain
temporary file: this upload handler encrypts each piece as it arrives (`staging`)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from netcourt.evidence.staging import StagingArea
from netcourt.vault.scratch import new_scratch_key


class StagedFile(UploadedFile):
    """What the view gets for the file field: where the bytes are staged, and under what key."""

    def __init__(self, upload_id: uuid.UUID, key: bytes, name: str, size: int) -> None:
        super().__init__(file=None, name=name, size=size)
        self.upload_id = upload_id
        self.key = key


class StagingUploadHandler(FileUploadHandler):
    def __init__(self, area: StagingArea, max_bytes: int, request: Any = None) -> None:
        super().__init__(request)
        self.area = area
        self.max_bytes = max_bytes
        self.upload_id = uuid.uuid4()
        self.key = new_scratch_key()
        self.offset = 0
        self.staged = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.staged:
            raise StopUpload(connection_reset=True)  # one file per form
        self.area.create(str(self.upload_id))
        self.staged = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.offset + len(raw_data) > self.max_bytes:
            self.area.remove(str(self.upload_id))
            raise StopUpload(connection_reset=True)
        self.offset += self.area.append(
            str(self.upload_id), self.key, self.offset, _Once(raw_data), len(raw_data), sync=False
        )
        return None

    def file_complete(self, file_size: int) -> StagedFile:
        self.area.sync(str(self.upload_id))
        return StagedFile(self.upload_id, self.key, self.file_name or "", self.offset)


class _Once:
    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def read(self, size: int = -1, /) -> bytes:
        data, self._data = self._data or b"", None
        return data


def adopt(user: Any, case: Any, staged: StagedFile) -> Any:
    """The upload a form's staged file becomes (the caller submits or attaches it)."""
    from netcourt.evidence.actions import adopt_staged

    return adopt_staged(
        user, case.pk, staged.upload_id, staged.key, staged.name or "", staged.size or 0
    )


def stage_files(request: Any, max_bytes: int) -> None:
    """Send the files of this request's form straight into the encrypted staging area as
    they arrive (the view is csrf_exempt and checks CSRF after this, in an inner view)."""
    from netcourt.evidence.actions import staging

    request.upload_handlers = [StagingUploadHandler(staging(), max_bytes, request)]


def file_missing(form: Any, field: str) -> None:
    """Say on ``field`` that its file did not arrive (none chosen, or cut off at the limit)."""
    if field not in form.errors:
        form.add_error(
            field,
            _("The file did not arrive, or it is larger than the court takes. Choose it again."),
        )

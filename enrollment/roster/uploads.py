"""A roster file kept between its preview and its confirmation.

The file lies in private storage (MEDIA_ROOT, never served) under a random token. The token
is valid only for the person who uploaded it and the factory it was uploaded for; anyone
else asking for it gets nothing, as if it did not exist.
"""

import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

FOLDER = "roster-uploads"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
# Uploads nobody confirmed are removed after this long (a working day and a bit).
KEEP_FOR = timedelta(hours=36)


@dataclass
class PendingUpload:
    token: str
    factory_id: int
    user_id: int
    name: str
    uploaded_at: str

    def read(self) -> bytes:
        with default_storage.open(_data_path(self.token), "rb") as stored:
            return stored.read()


def _data_path(token: str) -> str:
    return f"{FOLDER}/{token}.roster"


def _meta_path(token: str) -> str:
    return f"{FOLDER}/{token}.json"


def save_upload(*, data: bytes, name: str, user, factory) -> PendingUpload:
    """Keep ``data`` for ``user`` and ``factory`` until it is confirmed or discarded."""
    remove_stale()
    token = secrets.token_urlsafe(24)
    upload = PendingUpload(
        token=token,
        factory_id=factory.pk,
        user_id=user.pk,
        name=name[:200],
        uploaded_at=timezone.now().isoformat(),
    )
    default_storage.save(_data_path(token), ContentFile(data))
    meta = {
        "factory": upload.factory_id,
        "user": upload.user_id,
        "name": upload.name,
        "uploaded_at": upload.uploaded_at,
    }
    default_storage.save(_meta_path(token), ContentFile(json.dumps(meta).encode()))
    return upload


def find_upload(*, token: str, user) -> PendingUpload | None:
    """The upload ``token`` names, if ``user`` made it; None otherwise."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    try:
        with default_storage.open(_meta_path(token), "rb") as stored:
            meta = json.loads(stored.read())
    except (OSError, ValueError):
        return None
    if meta.get("user") != user.pk or not default_storage.exists(_data_path(token)):
        return None
    return PendingUpload(
        token=token,
        factory_id=meta["factory"],
        user_id=meta["user"],
        name=meta.get("name", ""),
        uploaded_at=meta.get("uploaded_at", ""),
    )


def delete_upload(token: str) -> None:
    if TOKEN.match(token):
        for path in (_data_path(token), _meta_path(token)):
            default_storage.delete(path)


def remove_stale() -> None:
    """Delete uploads older than ``KEEP_FOR``: a roster holds children's data."""
    try:
        _folders, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - KEEP_FOR
    for name in files:
        path = f"{FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue

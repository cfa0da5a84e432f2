"""Uploads: media clients send to the gateway, named by media ids."""

from .records import UploadRecord, is_media_id, parse_media_id
from .refs import file_ref, resolve_media
from .store import Receiver, Uploads

__all__ = ["Receiver", "UploadRecord", "Uploads", "file_ref", "is_media_id", "parse_media_id", "resolve_media"]

"""Images a browser saved beside an HTML save: ``Name.html`` and its ``Name_files/`` folder.

The page names them by a path relative to itself (``./Name_files/photo.jpg``, as
the extractor keeps it in ``images.src``); only such paths are read, and only inside
a ``*_files`` folder beside the page: a page cannot make the reader open any other
file (``../``, absolute paths and links out of the folder are refused).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import unquote

from core.errors import ImageError, SourceError
from core.images import checked_image
from core.records import Failed, ImageFile
from core.settings import DEFAULTS
from readers.sources import read_page


def saved_images(
    page_path: str, srcs: Iterable[str], max_bytes: int = DEFAULTS.max_bytes
) -> tuple[list[ImageFile], list[Failed]]:
    """The images of ``srcs`` found in the ``*_files`` folders beside ``page_path``.

    A folder that is not there (the page was saved as HTML only) gives nothing and no
    failure; an image missing from a folder that is, or one whose bytes are no image,
    is a failure of stage ``image`` (the article is loaded all the same).
    """
    folder = os.path.dirname(page_path)
    images: list[ImageFile] = []
    failures: list[Failed] = []
    for src in dict.fromkeys(srcs):
        path = _inside_files_folder(folder, src)
        if path is None:
            continue
        where = f"{page_path}: image {src}"
        try:
            data = read_page(path, max_bytes).data
            images.append(ImageFile(src, data, checked_image(data, None, where), path))
        except (SourceError, ImageError) as exc:
            message = str(exc) if isinstance(exc, ImageError) else f"{where}: {exc}"
            failures.append(Failed(path, ImageError.stage, ImageError.__name__, message))
    return images, failures


def _inside_files_folder(folder: str, src: str) -> str | None:
    """The file ``src`` names inside a ``*_files`` folder of ``folder``, if it is one there."""
    relative = src.removeprefix("./")
    parts = relative.split("/")
    if len(parts) < 2 or not parts[0].endswith("_files") or ".." in parts or "" in parts:
        return None
    files_folder = os.path.join(folder, parts[0])
    if not os.path.isdir(files_folder):
        return None
    for name in dict.fromkeys((relative, unquote(relative))):  # as written, then %-decoded
        path = os.path.join(folder, name)
        real = os.path.realpath(path)
        if os.path.commonpath([real, os.path.realpath(files_folder)]) != os.path.realpath(
            files_folder
        ):
            return None  # a link out of the folder
        if os.path.lexists(path):
            return path
    return os.path.join(folder, relative)  # not there: its read says so

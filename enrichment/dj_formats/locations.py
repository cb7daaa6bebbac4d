"""File locations as Rekordbox (file:// URLs) and Traktor (VOLUME, DIR, FILE) write them."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

RB_PREFIX = "file://localhost"


def from_file_url(url: str) -> str:
    """A file:// URL (file://localhost/C:/x.mp3, file:///Users/x.mp3) as a plain path."""
    if not url.lower().startswith("file:"):
        return url
    path = unquote(urlsplit(url).path)
    # "/C:/Music/x.mp3" is a Windows path: drop the slash before the drive letter.
    if len(path) > 2 and path[0] == "/" and path[2] == ":":
        return path[1:]
    return path


def to_file_url(path: str) -> str:
    """A plain path as Rekordbox's file://localhost/ URL."""
    path = path.replace("\\", "/")
    if not path.startswith("/"):
        path = "/" + path
    return RB_PREFIX + quote(path, safe="/:")


def from_traktor_location(volume: str, directory: str, file: str) -> str:
    """Traktor's LOCATION as one path: DIR "/:Users/:me/:" + FILE, prefixed by a drive letter."""
    parts = [part for part in directory.split("/:") if part]
    path = "/" + "/".join([*parts, file]) if parts else "/" + file
    if len(volume) == 2 and volume[1] == ":":  # a Windows drive, "C:"
        return volume + path
    return path


def to_traktor_location(path: str) -> tuple[str, str, str]:
    """A plain path as Traktor's (VOLUME, DIR, FILE)."""
    path = path.replace("\\", "/")
    volume = ""
    if len(path) > 1 and path[1] == ":":
        volume, path = path[:2], path[2:]
    *folders, file = [part for part in path.split("/") if part] or [""]
    directory = "".join(f"/:{folder}" for folder in folders) + "/:"
    return volume, directory, file

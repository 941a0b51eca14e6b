from pathlib import Path

from readers.sources import expand_sources


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_directories_are_walked_for_saved_pages_only(tmp_path):
    a = touch(tmp_path / "pages" / "a.html")
    b = touch(tmp_path / "pages" / "deep" / "b.txt")
    touch(tmp_path / "pages" / "a.expected.json")
    touch(tmp_path / "pages" / "photo.jpg")
    touch(tmp_path / "pages" / "a_files" / "script.html")  # a browser's resource folder
    touch(tmp_path / "pages" / ".hidden.html")
    found = expand_sources([str(tmp_path / "pages")])
    assert found.files == (str(a), str(b))
    assert found.skipped == 3  # the gold record, the photo, the hidden file
    assert found.skipped_text() == "1 .jpg, 1 .json, 1 hidden"
    assert found.missing == ()


def test_named_files_are_read_whatever_their_name(tmp_path):
    odd = touch(tmp_path / "page.bin")
    assert expand_sources([str(odd)]).files == (str(odd),)


def test_source_lists_nest_resolve_relative_paths_and_report_missing(tmp_path):
    a = touch(tmp_path / "a.html")
    b = touch(tmp_path / "sub" / "b.txt")
    touch(tmp_path / "sub" / "more.txt", "b.txt\n# a comment\n\nnope.html\n")
    touch(tmp_path / "list.txt", f"a.html\n@{tmp_path / 'sub' / 'more.txt'}\n{a}\n")
    found = expand_sources([f"@{tmp_path / 'list.txt'}"])
    assert found.files == (str(a), str(b))  # a once, though named twice
    assert found.missing == (str(tmp_path / "sub" / "nope.html"),)

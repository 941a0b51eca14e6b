"""The exception tree drawn in core/errors.py's docstring is the tree the code has."""

import core.errors
from core.errors import WicEtlError


def test_every_error_class_is_drawn_with_its_stage():
    doc = core.errors.__doc__ or ""
    classes = [WicEtlError, *WicEtlError.__subclasses__()]
    assert len(classes) >= 7
    for cls in classes:
        (line,) = [line for line in doc.splitlines() if f" {cls.__name__} " in f" {line} "]
        if cls.stage != WicEtlError.stage or cls is WicEtlError:
            assert f'"{cls.stage}"' in line, cls.__name__

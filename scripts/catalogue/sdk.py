"""Read the request TypedDicts of the installed ``runwayml`` SDK into the intermediate form.

Two traps, both measured on Python 3.11 with runwayml 5.24.0:

* ``TypedDict.__required_keys__`` comes back empty (the SDK declares ``total=False`` and marks
  required keys with ``Required[...]``), so required-ness is read from
  ``typing.get_type_hints(..., include_extras=True)``;
* the wire name hides inside ``Required[Annotated[..., PropertyInfo(alias=...)]]``: unwrap
  ``Required`` before reading the ``Annotated`` metadata.

Field docstrings (a string statement after each annotation) are read from the source with
``ast``: they carry the media kind of URI fields and limits the types leave out.
"""

from __future__ import annotations

import ast
import collections.abc
import importlib
import inspect
import typing
from types import ModuleType
from typing import Any, get_args, get_origin, get_type_hints

import typing_extensions
from runwayml._utils import PropertyInfo

from scripts.catalogue.ir import (
    AnyObject,
    FieldSpec,
    ListOf,
    Lit,
    Media,
    Obj,
    ObjectSpec,
    Scalar,
    TypeSpec,
    UnionOf,
    Variant,
)

__all__ = ["ENDPOINTS", "OUT_OF_SCOPE", "load_variants", "sdk_version"]

ENDPOINTS: tuple[str, ...] = (
    "image_to_video",
    "text_to_video",
    "video_to_video",
    "character_performance",
    "text_to_image",
    "image_upscale",
    "video_upscale",
    "video_to_hdr",
    "sound_effect",
    "text_to_speech",
    "speech_to_speech",
    "video_to_audio",
    "voice_dubbing",
    "voice_isolation",
)
"""The task-based media generation endpoints the catalogue covers, in the README's order."""

OUT_OF_SCOPE: dict[str, str] = {
    "avatar": "avatars (real-time characters, not a generation task)",
    "avatar_video": "avatar videos (need an avatar)",
    "realtime_session": "real-time sessions",
    "voice": "custom voices",
    "document": "knowledge documents",
    "workflow": "published workflows",
    "router": "model routers",
    "recipe": "recipes",
    "generate/": "the generate/* routes (a saved router picks the model)",
    "organization": "organization reads (not a generation)",
    "upload": "uploads (used for inputs, not a generation)",
}
"""SDK create-parameter modules the catalogue leaves out on purpose, by name prefix."""

_REQUIRED = {typing.Required, typing_extensions.Required}
_NOT_REQUIRED = {typing.NotRequired, typing_extensions.NotRequired}
_SEQUENCES = {
    collections.abc.Iterable,
    collections.abc.Sequence,
    list,
    typing.Iterable,
    typing.Sequence,
    typing.List,  # noqa: UP006 - the SDK's own spelling, compared by identity
}
_DATA_KIND = (("data:image/", "image"), ("data:video/", "video"), ("data:audio/", "audio"))


def sdk_version() -> str:
    import runwayml

    return str(runwayml.__version__)


def _module(endpoint: str) -> ModuleType:
    return importlib.import_module(f"runwayml.types.{endpoint}_create_params")


def _field_docs(cls: type) -> dict[str, str]:
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    tree = ast.parse(source)
    node = tree.body[0]
    assert isinstance(node, ast.ClassDef)
    docs: dict[str, str] = {}
    body = node.body
    for index, statement in enumerate(body):
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        following = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = " ".join(following.value.value.split())
    return docs


def _class_doc(cls: type) -> str:
    doc = cls.__doc__ or ""
    return "" if doc.startswith(("dict() ->", "TypedDict")) else " ".join(doc.split())


def _unwrap(tp: Any) -> tuple[Any, bool | None, str | None]:
    """``(type, required, alias)`` of an annotation: Required/NotRequired, then Annotated."""
    required: bool | None = None
    alias: str | None = None
    origin = get_origin(tp)
    if origin in _REQUIRED:
        required, tp = True, get_args(tp)[0]
    elif origin in _NOT_REQUIRED:
        required, tp = False, get_args(tp)[0]
    if get_origin(tp) is typing.Annotated:
        base, *metadata = get_args(tp)
        for item in metadata:
            if isinstance(item, PropertyInfo) and item.alias:
                alias = item.alias
        tp = base
    return tp, required, alias


def _media_kind(doc: str) -> str | None:
    for marker, kind in _DATA_KIND:
        if marker in doc:
            return kind
    return None


class _Reader:
    def __init__(self) -> None:
        self.objects: dict[type, ObjectSpec] = {}

    def type_of(self, tp: Any, doc: str) -> TypeSpec:
        tp, _, _ = _unwrap(tp)
        origin = get_origin(tp)
        if tp is str:
            kind = _media_kind(doc)
            if kind is not None:
                return Media(kind)  # type: ignore[arg-type]
            return Scalar("str")
        if tp is bool:
            return Scalar("bool")
        if tp is int:
            return Scalar("int")
        if tp is float:
            return Scalar("float")
        if tp is object:
            return AnyObject()
        if origin is typing.Literal:
            return Lit(tuple(get_args(tp)))
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            options: list[TypeSpec] = []
            literals: list[Any] = []
            for arg in get_args(tp):
                spec = self.type_of(arg, doc)
                if isinstance(spec, Lit):
                    literals.extend(spec.values)
                else:
                    options.append(spec)
            if literals:
                options.append(Lit(tuple(literals)))
            return options[0] if len(options) == 1 else UnionOf(options)
        if origin in _SEQUENCES:
            (item,) = get_args(tp)
            # A list's docstring describes the list; its items are media of the same kind.
            return ListOf(self.type_of(item, doc))
        if typing_extensions.is_typeddict(tp):
            return Obj(self.object_of(tp))
        raise TypeError(f"unsupported SDK type {tp!r}")

    def object_of(self, cls: type) -> ObjectSpec:
        if cls in self.objects:
            return self.objects[cls]
        hints = get_type_hints(cls, include_extras=True)
        docs = _field_docs(cls)
        spec = ObjectSpec(sdk_name=cls.__name__, fields=[], doc=_class_doc(cls))
        self.objects[cls] = spec
        for name, annotation in hints.items():
            _, required, alias = _unwrap(annotation)
            doc = docs.get(name, "")
            spec.fields.append(
                FieldSpec(
                    name=name,
                    wire=alias or name,
                    required=bool(required),
                    type=self.type_of(annotation, doc),
                    doc=doc,
                )
            )
        return spec


def _variants_of(module: ModuleType) -> list[type]:
    alias_name = next(name for name in module.__all__ if name.endswith("CreateParams"))
    root = getattr(module, alias_name)
    if get_origin(root) is typing.Union:
        return list(get_args(root))
    return [root]


def load_variants(endpoints: tuple[str, ...] = ENDPOINTS) -> list[Variant]:
    """Every (endpoint, model) request shape the installed SDK types, in SDK order."""
    reader = _Reader()
    variants: list[Variant] = []
    for endpoint in endpoints:
        for cls in _variants_of(_module(endpoint)):
            body = reader.object_of(cls)
            model_field = next(f for f in body.fields if f.name == "model")
            assert isinstance(model_field.type, Lit), (endpoint, cls)
            for model in model_field.type.values:
                assert isinstance(model, str)
                variants.append(Variant(endpoint=endpoint, model=model, body=body))
    return variants

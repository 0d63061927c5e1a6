"""A faster writer for the SOAP response types, with Spyne's exact output.

Spyne's XML serializer runs its whole generic dispatch for every element:
polymorphism and attribute look-ups, a debug log call and a per-type
conversion. For a list of 500 containers that is most of the response time.
:class:`ComplexWriter` compiles each response type once into a list of
members, then writes an instance with plain lxml calls, producing the same
elements in the same order with the same text as Spyne does. Members it
cannot write the same way (a nil value, a binary or formatted value, a
polymorphic or protocol-specific type) go back to Spyne one by one, so the
output does not differ. tests/test_soap_writer.py compares both on generated
values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from spyne.model import (
    AnyDict,
    AnyHtml,
    AnyUri,
    AnyXml,
    ByteArray,
    ComplexModelBase,
    Date,
    DateTime,
    Duration,
    File,
    ModelBase,
    Null,
    Time,
    Uuid,
    XmlAttribute,
    XmlData,
)
from spyne.model.enum import EnumBase
from spyne.model.primitive import Boolean, Double, Integer, Unicode

#: Converts a member's value to its element text.
ToText = Callable[[Any], str]
#: Spyne's own serialization of one member, used where this writer is unsure.
Fallback = Callable[[Any, type[ModelBase], Any, Any, str, str], Any]


@dataclass(frozen=True)
class Member:
    """One element of a complex type: its tag and how to write its value."""

    name: str
    namespace: str
    tag: str
    cls: type[ModelBase]
    repeated: bool
    required: bool
    #: Text of a simple value, or None when :attr:`complex` or Spyne writes it.
    to_text: ToText | None
    complex: ComplexPlan | None


@dataclass(frozen=True)
class ComplexPlan:
    members: tuple[Member, ...]


class ComplexWriter:
    """Write instances of Spyne complex types as Spyne's XmlDocument would.

    *to_unicode* is the protocol's own text conversion, used for the types
    whose format this writer does not repeat (dates and times). Only the
    complex types in *types* are written here. Faults and arrays always go
    to Spyne.
    """

    def __init__(
        self,
        to_unicode: Callable[[type[ModelBase], Any], str],
        types: Iterable[type[ComplexModelBase]],
    ) -> None:
        self._to_unicode = to_unicode
        #: The complex types this writer takes on; customized copies count.
        self._types = frozenset(types)
        self._plans: dict[type[ModelBase], ComplexPlan | None] = {}
        self._compiling: set[type[ModelBase]] = set()
        self._lock = threading.RLock()

    def plan(self, cls: type[ModelBase]) -> ComplexPlan | None:
        """Return the compiled members of *cls*, or None if Spyne must write it."""
        try:
            return self._plans[cls]
        except KeyError:
            pass
        # Worker threads meet a type for the first time together. The lock
        # makes one of them compile it, and the others wait for that plan.
        with self._lock:
            if cls in self._plans:
                return self._plans[cls]
            if cls in self._compiling:
                return None  # a type that contains itself stays Spyne's
            self._compiling.add(cls)
            try:
                plan = self._compile(cls)
            finally:
                self._compiling.discard(cls)
            self._plans[cls] = plan
            return plan

    def write(
        self,
        ctx: Any,
        plan: ComplexPlan,
        inst: Any,
        parent: etree._Element,
        tag: str,
        fallback: Fallback,
    ) -> None:
        """Append the element *tag* for *inst* to *parent*."""
        element = etree.SubElement(parent, tag)
        # The same rules as Spyne's XmlDocument._get_members_etree: each item
        # of a repeated member, and an absent value only when it is required.
        for member in plan.members:
            value = getattr(inst, member.name, None)
            if member.repeated and value is not None:
                for item in value:
                    self._write_member(ctx, member, item, element, fallback)
            elif value is not None or member.required:
                self._write_member(ctx, member, value, element, fallback)

    def _write_member(
        self,
        ctx: Any,
        member: Member,
        value: Any,
        parent: etree._Element,
        fallback: Fallback,
    ) -> None:
        if value is None:
            # Spyne writes a nil element, or leaves it out for an attribute.
            fallback(ctx, member.cls, None, parent, member.namespace, member.name)
        elif member.complex is not None and not isinstance(value, list | tuple | dict):
            self.write(ctx, member.complex, value, parent, member.tag, fallback)
        elif member.to_text is not None and not isinstance(value, bytes):
            etree.SubElement(parent, member.tag).text = member.to_text(value)
        else:
            fallback(ctx, member.cls, value, parent, member.namespace, member.name)

    def _compile(self, cls: type[ModelBase]) -> ComplexPlan | None:
        if declared_type(cls) not in self._types or not _plain(cls):
            return None
        members: list[Member] = []
        # Spyne writes the members of the type this one extends first.
        base = getattr(cls, "__extends__", None)
        if base is not None:
            base_plan = self.plan(base)
            if base_plan is None:
                return None
            members.extend(base_plan.members)
        for name, member_cls in cls._type_info.items():
            attrs = member_cls.Attributes
            if getattr(attrs, "exc", False):
                continue
            if not _plain(member_cls):
                return None
            namespace = attrs.sub_ns or cls.get_namespace()
            sub_name = attrs.sub_name or name
            complex_plan = None
            to_text = None
            if issubclass(member_cls, ComplexModelBase):
                complex_plan = self.plan(member_cls)
                if complex_plan is None:
                    return None
            else:
                to_text = self._text_converter(member_cls)
            members.append(
                Member(
                    name=name,
                    namespace=namespace,
                    tag=f"{{{namespace}}}{sub_name}",
                    cls=member_cls,
                    repeated=attrs.max_occurs > 1,
                    required=attrs.min_occurs > 0,
                    to_text=to_text,
                    complex=complex_plan,
                )
            )
        return ComplexPlan(tuple(members))

    def _text_converter(self, cls: type[ModelBase]) -> ToText | None:
        """Return the text conversion of simple type *cls*, or None for Spyne's."""
        attrs = cls.Attributes
        if getattr(attrs, "format", None) or getattr(attrs, "str_format", None):
            return None
        # Spyne picks the conversion registered for the nearest class in the
        # MRO, so the first match here is the one Spyne would use.
        for base in cls.__mro__:
            if base in STOCK_TEXT:
                return STOCK_TEXT[base]
            if base is DateTime:
                return lambda value: self._to_unicode(cls, value)
            if base in SPYNE_ONLY:
                return None
        return None


def declared_type(cls: type[ModelBase]) -> type[ModelBase]:
    """Return the declared type that *cls* is a customized copy of, or *cls*."""
    while getattr(cls, "__orig__", None) is not None:
        cls = cls.__orig__
    return cls


def _plain(cls: type[ModelBase]) -> bool:
    """Tell whether Spyne writes *cls* by its default rules."""
    attrs = cls.Attributes
    return (
        getattr(attrs, "prot", None) is None
        and not getattr(attrs, "prot_attrs", None)
        and getattr(attrs, "default", None) is None
        and not getattr(attrs, "polymorphic", False)
    )


# The conversions of spyne.protocol._outbase for these types without a
# format: the same checks, the same text.


def _boolean_text(value: Any) -> str:
    return str(bool(value)).lower()


def _integer_text(value: Any) -> str:
    int(value)
    return str(value)


def _double_text(value: Any) -> str:
    float(value)
    return repr(value)


def _unicode_text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


STOCK_TEXT: dict[type[ModelBase], ToText] = {
    Unicode: _unicode_text,
    Integer: _integer_text,
    Double: _double_text,
    Boolean: _boolean_text,
}
#: Simple types with a conversion or element writer of their own in Spyne.
SPYNE_ONLY: tuple[type[ModelBase], ...] = (
    AnyDict,
    AnyHtml,
    AnyUri,
    AnyXml,
    ByteArray,
    Date,
    Duration,
    EnumBase,
    File,
    Null,
    Time,
    Uuid,
    XmlAttribute,
    XmlData,
)

"""Typed access to a form's fields."""

from collections.abc import Mapping
from typing import TypeVar

from django import forms

F = TypeVar("F", bound=forms.Field)


def field_of(fields: Mapping[str, forms.Field], name: str, kind: type[F]) -> F:
    """``fields[name]`` as the kind of field it is declared as, so that its own attributes
    (a ``ModelChoiceField``'s queryset, a ``ChoiceField``'s choices) can be set."""
    field = fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field

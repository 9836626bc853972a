"""Every rule of the rule book, in the order of spec/rules.md §4. A program's rules live in its own module."""

from transforms.rules import general

RULES = [*general.RULES]

__all__ = ["RULES"]

"""Pagination and batching: never assume one page, never send one item per request."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item under `result_key` across all pages of a paginated operation."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(result_key, [])


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items (for APIs that take batches)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch

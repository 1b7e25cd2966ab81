"""All state, behind one interface: accounts -> regions -> one state object per service.

Services register a factory for their per-region state; handlers ask ``store.state("ecs", account, region)``.
Keeping every resource behind this one door is what lets persistence be added without touching handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

StateFactory = Callable[[str, str], Any]


class Store:
    def __init__(self) -> None:
        self._factories: dict[str, StateFactory] = {}
        self._states: dict[tuple[str, str, str], Any] = {}

    def register(self, service: str, factory: StateFactory) -> None:
        self._factories[service] = factory

    def state(self, service: str, account: str, region: str) -> Any:
        key = (service, account, region)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = self._factories[service](account, region)
        return state

    def existing(self, service: str) -> Iterator[tuple[str, str, Any]]:
        """Every (account, region, state) of ``service`` that has been touched."""
        for (name, account, region), state in list(self._states.items()):
            if name == service:
                yield account, region, state

    def reset(self) -> None:
        self._states.clear()

"""A model of the emulator's books: any sequence of creates over the whole catalogue, valid or
broken, leaves exactly the creates and the credits the client's own view predicts.

* a broken request never reaches the server (0 rejected creates: refused before sending);
* each valid one is created once, on its endpoint, for its model;
* each charge lies within the client's estimate where a price is published;
* the server's credits charged are the sum of what each create said it would cost.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from pydantic import ValidationError

from prefect_runway.api import CreditEstimate, RunwayClient, estimate, parse_request
from prefect_runway.testing.emulator import RunwayEmulator
from tests.catalogue_samples import FIXES, VARIANTS, broken, schema_of, values
from tests.conftest import FAST_RETRY


def test_the_books_follow_any_sequence_of_creates(emulator: RunwayEmulator) -> None:
    class Books(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            emulator.reset()
            self.creates: Counter[tuple[str, str]] = Counter()
            self.charged = 0.0

        async def _create(self, endpoint: str, body: dict[str, Any]) -> float:
            async with RunwayClient(
                emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY
            ) as client:
                request = parse_request(body, endpoint=endpoint)
                created = await client.create(request)
            assert created.estimated_cost is not None
            price = estimate(request) if request.model not in ("act_two", "ruby") else None
            if isinstance(price, CreditEstimate):
                assert price.at_least <= created.estimated_cost.credits <= price.credits
            return created.estimated_cost.credits

        @rule(data=st.data(), variant=st.sampled_from(VARIANTS))
        def create_a_valid_request(self, data: st.DataObject, variant: tuple[str, str]) -> None:
            endpoint, model = variant
            body = {**data.draw(values(schema_of(endpoint, model))), **FIXES.get(variant, {})}
            try:
                parse_request(body, endpoint=endpoint)
            except ValidationError:
                return  # a draw a cross-field rule refuses: nothing is sent either
            self.charged += asyncio.run(self._create(endpoint, body))
            self.creates[variant] += 1

        @rule(data=st.data(), variant=st.sampled_from(VARIANTS))
        def try_a_broken_request(self, data: st.DataObject, variant: tuple[str, str]) -> None:
            endpoint, model = variant
            case = data.draw(broken(endpoint, model))
            try:
                asyncio.run(self._create(endpoint, case.body))
            except ValidationError:
                return
            raise AssertionError(f"a broken request was sent: {case.what}")

        @invariant()
        def the_books_agree(self) -> None:
            stats = emulator.stats()
            assert stats["rejected_creates"] == 0
            expected: dict[str, dict[str, int]] = {}
            for (endpoint, model), count in self.creates.items():
                expected.setdefault(endpoint, {})[model] = count
            assert stats["creates_by_endpoint_and_model"] == expected
            assert stats["creates_total"] == sum(self.creates.values())
            assert stats["credits_charged"] == self.charged

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=6,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )

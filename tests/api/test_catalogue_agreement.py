"""The client and the emulator judge the same bodies the same way, for every model.

The client's models (generated pydantic) and the emulator's validator (its own reading of
``catalogue.json``) share no code. Hypothesis draws bodies for every (endpoint, model):

* a body the client accepts, the emulator must accept too: the client never sends (and so
  never pays for) a request the server refuses on a rule the catalogue knows;
* a body with one rule broken on purpose, both must refuse, so the client refuses it before
  anything is sent.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from prefect_runway.api import parse_request
from tests.catalogue_samples import FIXES, VARIANTS, Broken, broken, schema_of, values
from tests.emulator_validation import emulator_issues

AGREEMENT = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def client_error(endpoint: str, body: dict[str, Any]) -> str | None:
    try:
        parse_request(body, endpoint=endpoint)
    except ValidationError as error:
        return str(error)
    return None


@st.composite
def drawn_bodies(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    endpoint, model = draw(st.sampled_from(VARIANTS))
    body: dict[str, Any] = draw(values(schema_of(endpoint, model)))
    return endpoint, {**body, **FIXES.get((endpoint, model), {})}


@AGREEMENT
@given(drawn_bodies())
def test_what_the_client_accepts_the_emulator_accepts(drawn: tuple[str, dict[str, Any]]) -> None:
    endpoint, body = drawn
    client = client_error(endpoint, body)
    server = emulator_issues(endpoint, body)
    if client is None:
        assert server == [], f"the client would send a body the server refuses: {server}"
    else:
        # The only bodies the client refuses and the server takes break a rule the client
        # reads more strictly: none is known today, so both must refuse.
        assert server, f"the client refused a body the server takes: {client}"


@AGREEMENT
@given(st.sampled_from(VARIANTS).flatmap(lambda variant: broken(*variant).map(
    lambda case: (variant[0], case))))  # fmt: skip
def test_a_body_with_a_rule_broken_is_refused_by_both(drawn: tuple[str, Broken]) -> None:
    endpoint, case = drawn
    assert client_error(endpoint, case.body) is not None, case.what
    assert emulator_issues(endpoint, case.body), case.what

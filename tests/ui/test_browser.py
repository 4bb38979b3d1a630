"""The Prefect UI in a real browser: every deployment's form, filled and submitted by a person.

Against a real Prefect server (the local stack: ``python3 dev.py up``, or one started here) with
every deployment of the packaged prefect.yaml and a worker, in both of Prefect 3.8.8's UIs: the
classic one (where the links Prefect prints go, ``/deployments/...``) and the new one
(``/v2/...``, where ``/`` redirects). For each deployment's custom-run page: no JSON code editor
and no type toggle in the form. Then the image-to-video form and a two-shot storyboard (a scene
and a close-up) are typed in, submitted, and waited for until Completed with their outputs in
S3. Screenshots of every form and of the finished runs' artifacts go to ``test-artifacts/ui/``.

Chromium is Debian's (``/usr/bin/chromium``, or ``RUNWAY_CHROMIUM``), driven by Playwright
without any browser download; the tests are skipped, saying why, where there is none.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_runway.testing.stack import BUCKET, BUCKET_FOLDER, Stack
from tests.ui.conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    deployment_ids,
    stored_keys,
    wait_for_run,
)

# One stack for both UI files: under xdist they run in one worker (tests/conftest.py).
pytestmark = pytest.mark.slow

UIS = {"classic": "", "v2": "/v2"}


@pytest.fixture(scope="module")  # Chromium closes once this file's tests are done
async def browser() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("no browser test: playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser test: no Chromium at {CHROMIUM} (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1400, "height": 2400})
    opened = await context.new_page()
    opened.set_default_timeout(60_000)
    yield opened
    await context.close()


def expect(locator: Any) -> Any:
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(locator)


class Form:
    """A deployment's custom-run form in one of the two UIs, used by its labels."""

    def __init__(self, page: Any, ui: str) -> None:
        self.page, self.ui = page, ui

    async def open(self, stack: Stack, deployment_id: str) -> Form:
        self.deployment_id = deployment_id
        await self.page.goto(
            f"{stack.ui_url}{UIS[self.ui]}/deployments/deployment/{deployment_id}/run"
        )
        await self.page.get_by_text("Parameters", exact=True).first.wait_for()
        await self.page.get_by_role("button", name="Submit").wait_for()
        return self

    def field(self, label: str, nth: int = 0) -> Any:
        """The ``nth`` field labelled ``label`` (Prefect adds " (Optional)" to some)."""
        named = f"[normalize-space()='{label}' or normalize-space()='{label} (Optional)']"
        if self.ui == "classic":
            xpath = (
                f"//span[contains(@class,'schema-form-property__label')]{named}/ancestor::div"
                "[contains(concat(' ',normalize-space(@class),' '),' schema-form-property ')][1]"
            )
        else:
            xpath = (
                f"//label[@data-slot='label']{named}/ancestor::div"
                "[contains(concat(' ',normalize-space(@class),' '),' group ')][1]"
            )
        return self.page.locator(f"xpath={xpath}").nth(nth)

    async def type(self, label: str, value: str, nth: int = 0) -> None:
        box = self.field(label, nth).locator("textarea, input:not([type=checkbox])").first
        await box.click()
        await box.fill(value)

    async def choose(self, label: str, value: str, nth: int = 0) -> None:
        field = self.field(label, nth)
        if self.ui == "classic":
            # The classic select opens from the keyboard, as a person tabbing through would.
            await field.locator(".p-select-button__control").focus()
            await self.page.keyboard.press("ArrowDown")
            await self.page.get_by_role("option", name=value, exact=True).click()
        else:
            await field.locator("button[aria-haspopup=listbox]").click()
            # The options of the list that just opened (one list open at a time).
            await (
                self.page.get_by_role("listbox")
                .get_by_role("option", name=value, exact=True)
                .click()
            )
            await expect(self.page.get_by_role("listbox")).to_have_count(0)
        shown = field.locator(
            ".p-select-button__value" if self.ui == "classic" else "button[aria-haspopup=listbox]"
        )
        await expect(shown).to_have_text(value)

    async def add_item(self) -> None:
        await self.page.get_by_role("button", name=re.compile("^add item$", re.I)).first.click()

    async def check_plain(self) -> None:
        """No JSON code editor and no type toggle: every field is a plain input or a choice."""
        editors = self.page.locator(".cm-editor:visible, .p-code-input:visible, .monaco-editor")
        assert await editors.count() == 0, "a parameter is a JSON code editor"
        text = await self.page.locator("body").inner_text()
        assert "Property is type" not in text, "a parameter has a type toggle"
        assert await self.page.locator(".schema-form-property-any-of").count() == 0

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    async def submit(self, api: httpx.AsyncClient) -> str:
        """Click Submit; the id of the run it created (the classic UI stays on the deployment,
        the new one opens the run: the API tells both the same way)."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        before = set(await self._runs(api))
        # The form checks itself as fields lose focus; let that settle before the click.
        await self.page.wait_for_load_state("networkidle")
        submit = self.page.get_by_role("button", name="Submit")
        await expect(submit).to_be_enabled()
        # A person clicks again when nothing happened: a click the page let fall (the new UI,
        # busy re-rendering the form on a loaded machine, once sent nothing), or a server
        # error that made no run (SQLite busy under load: "Something went wrong"). Never after
        # a request that made a run or was refused for its parameters.
        for click in range(4):
            try:
                async with self.page.expect_request(_creates_a_run, timeout=20_000) as sent:
                    await submit.click()
            except PlaywrightTimeout:
                await self.shot(f"submit-{self.ui}-unsent-{click + 1}")
                continue
            answer = await (await sent.value).response()
            if answer is None or answer.status < 400:
                break
            refusal = f"{answer.status} {await answer.text()}"
            await self.shot(f"submit-{self.ui}-refused-{click + 1}")
            if answer.status < 500 or set(await self._runs(api)) - before:
                raise AssertionError(f"the server refused the run: {refusal}")
            await self.page.wait_for_timeout(2_000)  # the error toast, read by a person
        else:
            raise AssertionError(f"4 Submit clicks made no run; the page is {self.page.url}")
        deadline = time.monotonic() + 120  # a loaded 2-core machine answers slowly
        while not (new := set(await self._runs(api)) - before):
            if time.monotonic() > deadline:
                await self.shot(f"submit-{self.ui}-failed")
                raise AssertionError(f"Submit created no run; the page is {self.page.url}")
            await asyncio.sleep(0.5)
        assert len(new) == 1, new
        return new.pop()

    async def _runs(self, api: httpx.AsyncClient) -> list[str]:
        body = {"deployments": {"id": {"any_": [self.deployment_id]}}}
        return [run["id"] for run in (await api.post("/flow_runs/filter", json=body)).json()]


def _creates_a_run(request: Any) -> bool:
    return bool(request.method == "POST" and request.url.endswith("/create_flow_run"))


async def artifacts_screenshot(page: Any, stack: Stack, ui: str, run_id: str, name: str) -> None:
    """The finished run's page, on its Artifacts tab, as a person would look at it."""
    await page.goto(f"{stack.ui_url}{UIS[ui]}/runs/flow-run/{run_id}?tab=Artifacts")
    await page.get_by_text(re.compile("^artifacts$", re.I)).first.click()
    await page.get_by_text(re.compile("runway-[a-z-]+-(results|thumbnails)")).first.wait_for()
    await page.wait_for_load_state("networkidle")  # thumbnails load from S3's presigned links
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("ui", list(UIS))
async def test_every_deployment_form_is_plain_inputs_and_choices(
    page: Any, ui_stack: Stack, api: httpx.AsyncClient, ui: str
) -> None:
    deployments = await deployment_ids(api)
    assert len(deployments) == 20, deployments
    for name, deployment_id in sorted(deployments.items()):
        form = await Form(page, ui).open(ui_stack, deployment_id)
        if name.startswith(("runway-storyboard", "runway-recover")):
            await form.add_item()  # a list's item shows its own form (a shot, a task id)
        await form.check_plain()
        await form.shot(f"form-{ui}-{name.replace('/', '-')}")


# Each submission in one UI (every form is checked in both above). The storyboard's form, long
# since its sound fields, is submitted in the classic UI: in the new one a Submit click once
# created no run (1 of 2 runs on a loaded machine; screenshot submit-v2-failed.png).
@pytest.mark.parametrize("ui", ["v2"])
async def test_an_image_to_video_typed_into_the_form_lands_in_s3(
    page: Any, ui_stack: Stack, api: httpx.AsyncClient, s3: Any, ui: str
) -> None:
    prefix = f"browser/{ui}-{uuid.uuid4().hex[:8]}"
    ids = await deployment_ids(api)
    form = await Form(page, ui).open(ui_stack, ids["runway-image-to-video/ui"])
    await form.type("Image", f"s3://{BUCKET}/samples/coast.png")
    await form.type("Prompt text", "Slow aerial push in: a lighthouse on a cliff at dusk.")
    await form.choose("Ratio", "960:960")
    await form.type("Duration", "2")  # a number box: the form offers every model's durations
    await form.type("Output name", "lighthouse")
    await form.type("Key prefix", prefix)
    await form.check_plain()
    await form.shot(f"filled-{ui}-image-to-video")
    run_id = await form.submit(api)
    run = await wait_for_run(api, run_id)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run["parameters"]["params"]["ratio"] == "960:960"
    assert run["parameters"]["params"]["duration"] == 2
    folder = f"{BUCKET_FOLDER}/{prefix}/"
    keys = stored_keys(s3, folder)
    assert f"{folder}lighthouse.mp4" in keys and f"{folder}lighthouse.json" in keys, keys
    await artifacts_screenshot(page, ui_stack, ui, run_id, f"run-{ui}-image-to-video")


@pytest.mark.parametrize("ui", ["classic"])
async def test_a_two_shot_storyboard_typed_into_the_form_is_cut_in_s3(
    page: Any, ui_stack: Stack, api: httpx.AsyncClient, s3: Any, ui: str
) -> None:
    prefix = f"browser/{ui}-{uuid.uuid4().hex[:8]}"
    ids = await deployment_ids(api)
    form = await Form(page, ui).open(ui_stack, ids["runway-storyboard/ui"])
    await form.type("Title", "harbour")
    await form.add_item()
    await form.add_item()
    # Shot 1, a scene: its prompt in Runway's three parts.
    await form.type("Image", f"s3://{BUCKET}/samples/harbour.png", nth=0)
    await form.type("Camera movement", "Static wide shot", nth=0)
    await form.type("Establishing scene", "the harbour at first light", nth=0)
    await form.type("Additional details", "boats rock gently", nth=0)
    await form.choose("Duration", "2", nth=0)
    # Shot 2, a close-up of the keeper driven by a performance clip.
    await form.choose("Kind", "close_up", nth=1)
    await form.type("Character", f"s3://{BUCKET}/samples/keeper.png", nth=1)
    await form.type("Performance clip", f"s3://{BUCKET}/samples/keeper-take.mp4", nth=1)
    await form.choose("Ratio", "960:960", nth=1)
    await form.choose("Expression intensity", "4", nth=1)
    await form.type("Key prefix", prefix)
    await form.check_plain()
    await form.shot(f"filled-{ui}-storyboard")
    run_id = await form.submit(api)
    run = await wait_for_run(api, run_id)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    shots = run["parameters"]["params"]["shots"]
    assert [shot["kind"] for shot in shots] == ["scene", "close_up"]
    folder = f"{BUCKET_FOLDER}/{prefix}/harbour/"
    keys = stored_keys(s3, folder)
    for stem in ("01-scene", "02-close-up"):
        assert f"{folder}{stem}.mp4" in keys and f"{folder}thumbnails/{stem}.png" in keys, keys
    assert f"{folder}harbour-cut.mp4" in keys and f"{folder}storyboard.json" in keys, keys
    await artifacts_screenshot(page, ui_stack, ui, run_id, f"run-{ui}-storyboard")
    # The thumbnails artifact: each clip's first frame and the cut's, through presigned links.
    found = await api.post(
        "/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [run_id]},
                            "key": {"any_": ["runway-storyboard-thumbnails"]}}},
    )  # fmt: skip
    (artifact,) = found.json()
    await page.goto(f"{ui_stack.ui_url}{UIS[ui]}/artifacts/artifact/{artifact['id']}")
    await page.get_by_text("Storyboard harbour").first.wait_for()
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(ARTIFACTS / f"artifact-{ui}-storyboard.png"), full_page=True)
    loaded = await page.eval_on_selector_all(
        "img", "images => images.filter(i => i.complete && i.naturalWidth > 0).length"
    )
    assert loaded >= 3, f"{loaded} thumbnails shown"  # two shots and the cut

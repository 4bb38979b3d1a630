"""The hand-checked layer: what neither the SDK's types nor the OpenAPI document say.

Each entry was checked by a person against the SDK's docstrings (runwayml 5.24.0) or
``reference/runway-api.md``; the generator fails on anything new it cannot place (an unnamed
shared object, an untyped ``object`` field, a URI field of unknown media kind), so a new SDK
release is looked at rather than guessed.
"""

from __future__ import annotations

from scripts.catalogue.ir import FieldSpec, Lit, Media, ObjectSpec, Scalar

__all__ = [
    "BOUNDS",
    "DEFAULTS",
    "LEGACY_ALIASES",
    "MEDIA_KINDS",
    "NAMES",
    "RULES",
    "UNTYPED",
    "untyped_items",
]

NAMES: dict[str, str] = {
    # Image-to-video frames.
    "position*:lit[first],uri*:image": "FirstFrame",
    "position*:lit[first,last],uri*:image": "Keyframe",
    "uri*:image,position:lit[first,last]": "OptionalKeyframe",
    "uri*:image,position:str;open": "Kling4Frame",
    # Moderation: the hand-written class of prefect_runway.api.fields (its default "auto").
    "publicFigureThreshold:lit[auto,low]": "fields.ContentModeration",
    # Kling's multishot settings.
    # (A segment's duration is bounded by BOUNDS below.)
    "multiPrompt:list[{duration*:int(minimum=1,maximum=15),prompt*:str}],"
    "shotType:lit[intelligence,customize]": "KlingShots",
    "keepOriginalSound:bool,multiPrompt:list[{duration*:int(minimum=1,maximum=15),prompt*:str}],"
    "shotType:lit[intelligence,customize]": "KlingEditShots",
    "duration*:int(minimum=1,maximum=15),prompt*:str": "KlingShot",
    # Typed media references.
    "type*:lit[image],uri*:image": "CharacterImage",
    "type*:lit[video],uri*:video": "VideoReference",
    "type*:lit[audio],uri*:audio": "AudioReference",
    "uri*:image": "ImageReference",
    "uri*:video": "VideoUriReference",
    "uri*:video;open": "OpenVideoReference",
    "uri*:image,tag:str(min_length=3,max_length=16,pattern=^[a-z][a-z0-9_]+$)": (
        "TaggedReferenceImage"
    ),
    "uri*:image,tag:str(min_length=3,max_length=16,pattern=^[A-Za-z][A-Za-z0-9_]*$)": (
        "TaggedImage"
    ),
    "uri*:image,subject:lit[object,human],"
    "tag:str(min_length=3,max_length=16,pattern=^[a-z][a-z0-9_]+$)": "SubjectReferenceImage",
    "uri*:image,subject:lit[object,human],tag:str": "SubjectImage",
    # Aleph keyframes.
    "end_seconds*:int(maximum=9007199254740991,exclusive_minimum=0),"
    "start_seconds*:int(minimum=0,maximum=9007199254740991)": "KeyframeRange",
    "seconds*:float(minimum=0,maximum=30),uri*:image,range:{end_seconds*:int(maximum="
    "9007199254740991,exclusive_minimum=0),start_seconds*:int(minimum=0,maximum="
    "9007199254740991)}": "KeyframeAtSecond",
    "at*:float(minimum=0,maximum=1),uri*:image,range:{end_seconds*:int(maximum="
    "9007199254740991,exclusive_minimum=0),start_seconds*:int(minimum=0,maximum="
    "9007199254740991)}": "KeyframeAtFraction",
    # Voices.
    "audioUri*:audio,type*:lit[reference-audio]": "ReferenceAudioVoice",
    "presetId*:lit[Maya,Arjun,Serene,Bernard,Billy,Mark,Clint,Mabel,Chad,Leslie,Eleanor,Elias,"
    "Elliot,Grungle,Brodie,Sandra,Kirk,Kylie,Lara,Lisa,Malachi,Marlene,Martin,Miriam,Monster,"
    "Paula,Pip,Rusty,Ragnar,Xylar,Maggie,Jack,Katie,Noah,James,Rina,Ella,Mariah,Frank,Claudia,"
    "Niki,Vincent,Kendrick,Myrna,Tom,Wanda,Benjamin,Kiana,Rachel],type*:lit[runway-preset]": (
        "PresetVoice"
    ),
}
"""Shared nested objects, by their structure (see ``describe``), and the class each becomes."""

LEGACY_ALIASES: dict[str, str] = {
    "CharacterVideo": "VideoReference",
    "ReferenceVideo": "VideoReference",
}
"""Names the hand-written models used, kept as aliases of the generated classes."""


def untyped_items(kind: str, *, position: str | None) -> ObjectSpec:
    """An object the SDK types as ``object``: a media ``uri`` (and maybe a ``position``).

    Where the docstring spells the object out (``first_last``) unknown keys are refused;
    otherwise (kling_4) they pass to Runway, which is the one to judge them.
    """
    fields = [FieldSpec(name="uri", wire="uri", required=True, type=Media(kind))]  # type: ignore[arg-type]
    if position == "first_last":
        fields.append(
            FieldSpec(
                name="position",
                wire="position",
                required=False,
                type=Lit(("first", "last")),
                doc="Omit for a reference image; `first`/`last` for keyframe mode.",
            )
        )
    elif position == "any":
        fields.append(
            FieldSpec(
                name="position",
                wire="position",
                required=False,
                type=Scalar("str"),
                doc="The frame's place (first, middle or last: the SDK does not type it).",
            )
        )
    return ObjectSpec(sdk_name="object", fields=fields, extra_allowed=position != "first_last")


UNTYPED: dict[tuple[str, str, str], tuple[str, str | None]] = {
    # "An image or array of images. Use position `first`/`last` for keyframe mode, or omit
    # position for reference images. The two modes cannot be mixed."
    ("image_to_video", "hailuo3", "promptImage"): ("image", "first_last"),
    ("image_to_video", "wan3", "promptImage"): ("image", "first_last"),
    ("image_to_video", "wan3_prime", "promptImage"): ("image", "first_last"),
    # "The first frame of the video, or an array with a first frame and optional middle and
    # last frames."
    ("image_to_video", "kling_4", "promptImage"): ("image", "any"),
    # "Up to 5 videos whose style, motion or camera work should guide the output."
    ("image_to_video", "kling_4", "referenceVideos"): ("video", None),
    ("text_to_video", "kling_4", "referenceVideos"): ("video", None),
}
"""Fields whose items the SDK leaves as ``object``: (media kind, position kind)."""

SEED_RANGE = (0, 4_294_967_295)
"""runway-api.md section 4, common sub-objects: "`seed`: integer, minimum 0, maximum 4294967295"
(the OpenAPI document says so for every model it has; the SDK's newer models leave it out)."""

_KLING_DURATION = (
    3,
    15,
    "not written per model; the multishot segments 'must be between 3 and 15 seconds' in all "
    "(SDK docstring), and Kling's other models take 5 or 10: conservative",
)
_KLING_SEGMENT = (1, 15, "a segment lasts at most the 15 s the segments add up to (SDK docstring)")
_CFG_SCALE = (0, 1, "SDK docstring: '0 gives ... maximum creative freedom, 1 ... most strictly'")
_PARTNER_DURATION = (
    1,
    15,
    "no limit written; 15 s is the longest the endpoint's documented partners take (hailuo3, "
    "happyhorse, seedance2; references 'must not exceed 15 seconds'): conservative",
)
_OUTPUT_COUNT = (
    1,
    4,
    "no limit written; the endpoint's documented models take 1-4 (seedream5_*), 1 or 4 "
    "(gemini_image*), 1-10 (gpt_image_2): conservative",
)
_SFX_DURATION = (
    0.5,
    30,
    "no limit written; eleven_text_to_sound_v2 on sound_effect takes 'between 0.5 and 30 "
    "seconds' (SDK docstring): conservative",
)
_VARIANTS = (1, 4, "no limit written; each variant is paid: conservative")
_VOICE_UNIT = (0, 1, "eleven_multilingual_v2/eleven_v3 settings on this endpoint: '(0-1)'")
_VOICE_SPEED = (0.7, 1.2, "eleven_multilingual_v2/eleven_v3 on this endpoint: '(0.7-1.2)'")


def _bounds() -> dict[tuple[str, str, str], tuple[float, float, str]]:
    bounds: dict[tuple[str, str, str], tuple[float, float, str]] = {}
    kling_shots = (
        "klingO3_4k",
        "kling3.0_4k",
        "kling3.0_pro",
        "kling3.0_standard",
        "klingO3_pro",
        "klingO3_standard",
    )
    for endpoint in ("image_to_video", "text_to_video"):
        for model in kling_shots:
            bounds[(endpoint, model, "duration")] = _KLING_DURATION
            bounds[(endpoint, model, "providerSettings.multiPrompt[].duration")] = _KLING_SEGMENT
        bounds[(endpoint, "kling_4", "duration")] = _KLING_DURATION
        for model in ("kling3.0_4k", "kling2.5_turbo_pro", "kling3.0_pro", "kling3.0_standard"):
            bounds[(endpoint, model, "cfgScale")] = _CFG_SCALE
        for model in ("grok_imagine_1_5", "grok_imagine_1_5_lite", "wan3", "wan3_prime", "h3_max"):
            bounds[(endpoint, model, "duration")] = _PARTNER_DURATION
    for model in ("klingO3_4k", "klingO3_pro", "klingO3_standard"):
        bounds[("video_to_video", model, "providerSettings.multiPrompt[].duration")] = (
            _KLING_SEGMENT
        )
    bounds[("video_to_video", "gemini_omni_flash_1.1", "duration")] = (
        3,
        10,
        "the same model on image_to_video and text_to_video: 'Numeric durations must be "
        "between 3 and 10 seconds' (SDK docstring)",
    )
    for model in (
        "muse_image",
        "grok_imagine_image_2",
        "ideogram_4_0",
        "ideogram_4_5",
        "seedream5_flash",
        "nano_banana_2.1",
        "recraft_v4_1_flash",
    ):
        bounds[("text_to_image", model, "outputCount")] = _OUTPUT_COUNT
    for endpoint in ("sound_effect", "video_to_audio"):
        bounds[(endpoint, "mirelo_sfx_2_0", "duration")] = _SFX_DURATION
        bounds[(endpoint, "mirelo_sfx_2_0", "numVariants")] = _VARIANTS
    for field in ("similarityBoost", "stability", "style"):
        bounds[("text_to_speech", "eleven_v4", field)] = _VOICE_UNIT
    bounds[("text_to_speech", "eleven_v4", "speed")] = _VOICE_SPEED
    return bounds


BOUNDS: dict[tuple[str, str, str], tuple[float, float, str]] = _bounds()
"""Numeric limits neither the SDK's types nor the OpenAPI document give: (endpoint, model, path
of wire names, ``[]`` for each item of a list) -> (minimum, maximum, where it comes from).

Without them pydantic accepted ``wan3`` with ``duration: 99``. Where nothing is written the
bound is a conservative pick (the reason says so, and the README's catalogue section lists
them): refusing a request Runway might take costs a user an edit; sending one it refuses, or
one that asks for 99 paid variants, costs money or a failed run. A test fails when a number in
the catalogue has no maximum.
"""

MEDIA_KINDS: dict[tuple[str, str, str], str] = {
    # "Up to three reference audio clips." (a list of URI strings)
    ("sound_effect", "seed_audio", "referenceAudios"): "audio",
}
"""URI fields whose docstring does not name their media kind."""

DEFAULTS: dict[tuple[str, str, str], tuple[bool | int, str]] = {
    # The hand-written models always sent these, so the output's length (and price) is known.
    ("image_to_video", "gen4_turbo", "duration"): (
        10,
        "Runway's default is undocumented; 10 s is always sent so the price is known",
    ),
    ("image_to_video", "veo3.1", "duration"): (8, "always sent so the price is known"),
    ("image_to_video", "veo3.1_fast", "duration"): (8, "always sent so the price is known"),
    ("text_to_video", "veo3.1", "duration"): (8, "always sent so the price is known"),
    ("text_to_video", "veo3.1_fast", "duration"): (8, "always sent so the price is known"),
    ("image_to_video", "veo3.1", "audio"): (True, "Runway's default (OpenAPI), priced with audio"),
    ("image_to_video", "veo3.1_fast", "audio"): (True, "Runway's default, priced with audio"),
    ("text_to_video", "veo3.1", "audio"): (True, "Runway's default, priced with audio"),
    ("text_to_video", "veo3.1_fast", "audio"): (True, "Runway's default, priced with audio"),
    ("character_performance", "act_two", "expressionIntensity"): (3, "OpenAPI default"),
}
"""Defaults the client fills in and sends: (value, why)."""

_KEYFRAME_MODELS = (
    "veo3.1",
    "veo3.1_fast",
    "klingO3_4k",
    "kling3.0_4k",
    "kling2.5_turbo_pro",
    "kling3.0_pro",
    "kling3.0_standard",
    "klingO3_pro",
    "klingO3_standard",
    "gemini_omni_flash_1.1",
    "h3_max",
)
_MIXED_MODELS = ("hailuo3", "seedance2", "seedance2_fast", "seedance2_mini", "wan3", "wan3_prime")
_KLING_SHOTS = (
    "klingO3_4k",
    "kling3.0_4k",
    "kling3.0_pro",
    "kling3.0_standard",
    "klingO3_pro",
    "klingO3_standard",
)


def _rules() -> dict[tuple[str, str], tuple[str, ...]]:
    rules: dict[tuple[str, str], list[str]] = {}

    def add(endpoint: str, model: str, rule: str) -> None:
        rules.setdefault((endpoint, model), []).append(rule)

    for model in _KEYFRAME_MODELS:
        # "an array with a first frame and optionally a last frame"; "does not support
        # generating with only a last frame"; "A last frame requires a first frame".
        add("image_to_video", model, "keyframes")
    for model in _MIXED_MODELS:
        # "Use position first/last for keyframe mode, or omit position for reference images.
        # The two modes cannot be mixed."
        add("image_to_video", model, "keyframes_or_references")
    for endpoint in ("image_to_video", "text_to_video"):
        # "Only valid when `outputFormat` is `prores` or `hdr_prores`." (gen4.5)
        add(endpoint, "gen4.5", "prores_profile")
        for model in _KLING_SHOTS:
            # "Total duration across all segments must be between 3 and 15 seconds.
            # `promptText` is still required when `shotType` is "intelligence"."
            add(endpoint, model, "kling_shots")
        # "Draft mode only supports `mp4`."
        add(endpoint, "seedance2_5", "seedance_draft")
    for model in ("klingO3_4k", "klingO3_pro", "klingO3_standard"):
        add("video_to_video", model, "kling_shots")
    add("video_to_video", "aleph2", "prores_profile")
    # "All keyframes must either set a range or none may."
    add("video_to_video", "aleph2", "keyframe_ranges")
    # "extend ... requires promptText ... ratio may not be provided. edit ... requires
    # promptText, requires duration: "auto", and does not accept ratio."
    add("video_to_video", "seedance2_5", "seedance_mode")
    add("video_to_video", "seedance2_5", "seedance_draft")
    add("video_to_hdr", "ruby", "prores_profile")
    # "Use adaptive only when image or video references are provided; text-only requests
    # require a concrete ratio."
    add("text_to_video", "hailuo3", "adaptive_ratio")
    for model in ("wan3", "wan3_prime"):
        # "Keyframe image-to-video requests must use auto_480p, auto_720p, or auto_1080p."
        add("image_to_video", model, "keyframe_auto_ratio")
    for model in ("gpt_image_2_5_flare", "gpt_image_2_5_sunburst"):
        # "No two images may share the same tag."
        add("text_to_image", model, "unique_tags")
    # "very_low requires reference images and is not available with preciseEdit";
    # preciseEdit "Requires at least one reference image"; ratio "Not available with maskUri
    # or preciseEdit".
    add("text_to_image", "ideogram_4_5", "ideogram_edit")
    # "Choosing a size requires at least 2 reference images."
    add("text_to_image", "bria_fibo_edit_1_5", "bria_edit_ratio")
    return {key: tuple(value) for key, value in rules.items()}


RULES: dict[tuple[str, str], tuple[str, ...]] = _rules()
"""Cross-field rules per (endpoint, model); both the client and the emulator implement each."""

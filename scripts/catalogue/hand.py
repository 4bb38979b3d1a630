"""The hand-checked layer: what neither the SDK's types nor the OpenAPI document say.

Each entry was checked by a person against the SDK's docstrings (runwayml 5.24.0) or
``reference/runway-api.md``; the generator fails on anything new it cannot place (an unnamed
shared object, an untyped ``object`` field, a URI field of unknown media kind), so a new SDK
release is looked at rather than guessed.
"""

from __future__ import annotations

from scripts.catalogue.ir import FieldSpec, Lit, Media, ObjectSpec, Scalar

__all__ = [
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
    "multiPrompt:list[{duration*:int,prompt*:str}],shotType:lit[intelligence,customize]": (
        "KlingShots"
    ),
    "keepOriginalSound:bool,multiPrompt:list[{duration*:int,prompt*:str}],"
    "shotType:lit[intelligence,customize]": "KlingEditShots",
    "duration*:int,prompt*:str": "KlingShot",
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

"""Who answers a classification: the built-in model, an OpenAI-compatible chat-completions endpoint or
Amazon Bedrock (system config ``ai.provider`` and ``ai.provider_settings``; the API key is set apart,
``PUT /api/v1/ai/credentials``). When the configured provider fails, times out or answers nonsense,
the built-in model answers instead and the answer says so (``fallback_from``, ``fallback_reason``).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, replace

from pynamodb.exceptions import DoesNotExist

from chalicelib import aws
from chalicelib.domain import ai_models
from chalicelib.models.ai import CredentialsItem, model_pk

BUILTIN = "builtin"
OPENAI = "openai"
BEDROCK = "bedrock"
PROVIDERS = (BUILTIN, OPENAI, BEDROCK)
LEGACY_BUILTIN = ("rules",)  # the name the first system config used for the built-in classifier
DEFAULT_TIMEOUT_MS = 4000
PROBE_TIMEOUT_SECONDS = 2.0
MAX_REASONS = 5
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class Answer:
    category: str | None
    confidence: float
    reasons: list[str]
    provider: str
    model_version: str
    image_read: bool = False
    fallback_from: str | None = None
    fallback_reason: str | None = None


class ProviderFailed(Exception):
    """The external provider could not give a usable answer (the message says why, without secrets)."""


def configured(ai_config: dict) -> str:
    name = ai_config.get("provider") or BUILTIN
    return BUILTIN if name in LEGACY_BUILTIN else name


def answer(workspace_id: str, ai_config: dict, text: str, image: bytes | None = None) -> Answer:
    name = configured(ai_config)
    if name != BUILTIN:
        try:
            return _EXTERNAL[name](workspace_id, ai_config, text, image)
        except ProviderFailed as failure:
            return replace(builtin(workspace_id, ai_config, text), fallback_from=name, fallback_reason=str(failure))
    return builtin(workspace_id, ai_config, text)


def builtin(workspace_id: str, ai_config: dict, text: str) -> Answer:
    model = ai_models.current_model(workspace_id, ai_config["categories"])
    prediction = model.predict(text)
    return Answer(prediction.category, prediction.confidence, prediction.reasons, BUILTIN, model.version)


def supports_images(ai_config: dict) -> bool:
    settings = ai_config.get("provider_settings") or {}
    return configured(ai_config) != BUILTIN and bool(settings.get("vision"))


# --- OpenAI-compatible chat completions ----------------------------------------------------------


def _instructions(ai_config: dict) -> str:
    names = [category["name"] for category in ai_config["categories"]]
    return (
        "You triage requests sent to a service desk. Categories: "
        + json.dumps(names)
        + '. Answer with one JSON object only: {"category": one of the categories, or null when the message '
        'asks for no work, "confidence": a number from 0 to 1, "reasons": [the words of the message that decided it]}.'
    )


def _openai(workspace_id: str, ai_config: dict, text: str, image: bytes | None) -> Answer:
    settings = ai_config.get("provider_settings") or {}
    base_url, model = settings.get("base_url"), settings.get("model")
    if not base_url or not model:
        raise ProviderFailed("provider_settings needs base_url and model")
    read_image = image is not None and bool(settings.get("vision"))
    content: object = text
    if read_image:
        encoded = base64.b64encode(image).decode("ascii")
        content = [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": f"data:image/*;base64,{encoded}"}},
        ]
    body = {
        "model": model,
        "temperature": 0,
        "messages": [{"role": "system", "content": _instructions(ai_config)}, {"role": "user", "content": content}],
    }
    reply = _post_json(
        base_url.rstrip("/") + "/chat/completions",
        body,
        _api_key(workspace_id),
        settings.get("timeout_ms", DEFAULT_TIMEOUT_MS) / 1000,
    )
    try:
        message = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ProviderFailed("the reply had no choices[0].message.content") from None
    return _parsed(message, ai_config, OPENAI, f"{OPENAI}:{model}", read_image)


def _post_json(url: str, body: dict, api_key: str | None, timeout: float) -> dict:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    # The URL is an admin's http(s) base_url (the system config schema allows no other scheme).
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise ProviderFailed(f"HTTP {error.code} from the provider") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ProviderFailed(f"unreachable: {type(error).__name__}") from None
    except ValueError:
        raise ProviderFailed("the reply was not JSON") from None


def _api_key(workspace_id: str) -> str | None:
    try:
        return CredentialsItem.get(model_pk(workspace_id), "CREDENTIALS").api_key
    except DoesNotExist:
        return None


def _parsed(message: str, ai_config: dict, provider: str, version: str, read_image: bool) -> Answer:
    """The provider's JSON answer, held to the workspace's categories (anything else is a failure)."""
    match = _JSON_OBJECT.search(message or "")
    try:
        parsed = json.loads(match.group(0)) if match else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ProviderFailed("the answer held no JSON object")
    names = {category["name"].casefold(): category["name"] for category in ai_config["categories"]}
    category = parsed.get("category")
    if category is not None and (not isinstance(category, str) or category.casefold() not in names):
        raise ProviderFailed("the answer named a category the workspace does not have")
    try:
        confidence = min(1.0, max(0.0, float(parsed.get("confidence", 0.0))))
    except (TypeError, ValueError):
        raise ProviderFailed("the answer's confidence was not a number") from None
    reasons = [str(reason)[:100] for reason in (parsed.get("reasons") or []) if reason][:MAX_REASONS]
    return Answer(
        names[category.casefold()] if category else None,
        round(confidence, 4) if category else 0.0,
        reasons,
        provider,
        version,
        image_read=read_image,
    )


# --- Amazon Bedrock (Converse API) ---------------------------------------------------------------


def _bedrock(workspace_id: str, ai_config: dict, text: str, image: bytes | None) -> Answer:
    settings = ai_config.get("provider_settings") or {}
    model = settings.get("model")
    if not model:
        raise ProviderFailed("provider_settings needs model (a Bedrock model id)")
    read_image = image is not None and bool(settings.get("vision"))
    content: list[dict] = [{"text": text}]
    if read_image:
        content.append({"image": {"format": _image_format(image), "source": {"bytes": image}}})
    try:
        reply = aws.bedrock_runtime(settings.get("timeout_ms", DEFAULT_TIMEOUT_MS) / 1000).converse(
            modelId=model,
            system=[{"text": _instructions(ai_config)}],
            messages=[{"role": "user", "content": content}],
            inferenceConfig={"temperature": 0},
        )
        message = "".join(part.get("text", "") for part in reply["output"]["message"]["content"])
    except Exception as error:  # botocore's errors, timeouts and a malformed reply all mean: use the built-in model
        raise ProviderFailed(f"Bedrock failed: {type(error).__name__}") from None
    return _parsed(message, ai_config, BEDROCK, f"{BEDROCK}:{model}", read_image)


def _image_format(image: bytes) -> str:
    if image.startswith(b"\x89PNG"):
        return "png"
    if image.startswith(b"GIF8"):
        return "gif"
    if image[8:12] == b"WEBP":
        return "webp"
    return "jpeg"


_EXTERNAL = {OPENAI: _openai, BEDROCK: _bedrock}


# --- reachability (GET /ai/status) ---------------------------------------------------------------


def reachable(workspace_id: str, ai_config: dict) -> bool:
    """Whether the configured provider answers now: the built-in one always does; an OpenAI-compatible
    endpoint is asked for its model list; Bedrock for the configured model's description."""
    name = configured(ai_config)
    settings = ai_config.get("provider_settings") or {}
    if name == BUILTIN:
        return True
    if name == OPENAI:
        if not settings.get("base_url"):
            return False
        request = urllib.request.Request(settings["base_url"].rstrip("/") + "/models", method="GET")  # noqa: S310
        key = _api_key(workspace_id)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_SECONDS) as response:  # noqa: S310
                return 200 <= response.status < 300
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            return False
    try:
        aws.client("bedrock").get_foundation_model(modelIdentifier=settings.get("model") or "")
        return True
    except Exception:  # not configured, no permission, no network: not reachable
        return False

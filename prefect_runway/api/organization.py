"""The organization's credit balance, tier limits and today's usage (``GET /v1/organization``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "CreditUsage",
    "DailyCredits",
    "ModelCredits",
    "ModelLimits",
    "ModelUsage",
    "Organization",
    "Tier",
    "Usage",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True
    )


class ModelLimits(_Lenient):
    """A model's tier limits; None means no limit."""

    max_concurrent_generations: int | None = None
    max_daily_generations: int | None = None


class Tier(_Lenient):
    max_monthly_credit_spend: int | None = None
    models: dict[str, ModelLimits] = Field(default_factory=dict)


class ModelUsage(_Lenient):
    daily_generations: int = 0


class Usage(_Lenient):
    models: dict[str, ModelUsage] = Field(default_factory=dict)


class Organization(_Lenient):
    """What ``GET /v1/organization`` reports.

    Attributes:
        credit_balance: Credits left (1 credit = US$0.01).
        tier: Limits per model.
        usage: Generations per model in the past (rolling) day.
    """

    credit_balance: int
    tier: Tier = Field(default_factory=Tier)
    usage: Usage = Field(default_factory=Usage)

    def daily_limit(self, model: str) -> int | None:
        limits = self.tier.models.get(model)
        return limits.max_daily_generations if limits is not None else None

    def daily_usage(self, model: str) -> int:
        used = self.usage.models.get(model)
        return used.daily_generations if used is not None else 0


class ModelCredits(_Lenient):
    model: str
    amount: float
    """Credits used; negative when refunds exceeded charges that day."""


class DailyCredits(_Lenient):
    date: str
    used_credits: list[ModelCredits] = Field(default_factory=list)


class CreditUsage(_Lenient):
    """What ``POST /v1/organization/usage`` reports: credits per model per day (UTC)."""

    models: list[str] = Field(default_factory=list)
    results: list[DailyCredits] = Field(default_factory=list)

    def total(self, model: str | None = None) -> float:
        """Credits used over the period, for one model or all."""
        return sum(
            item.amount
            for day in self.results
            for item in day.used_credits
            if model is None or item.model == model
        )

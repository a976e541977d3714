"""Points (积分): the catalogue, redeeming, and the history."""

from datetime import datetime

from django.utils import timezone

from config.api import InvalidInput

from ..carrier.gateway import RedemptionInfo, RewardInfo, get_carrier
from .actions import Origin, action_log

MAX_QUANTITY = 99


def rewards_list() -> list[RewardInfo]:
    return get_carrier().rewards()


def points_redeem(
    *,
    phone: str,
    reward_code: str,
    quantity: int = 1,
    idempotency_key: str | None = None,
    origin: Origin,
    now: datetime | None = None,
) -> RedemptionInfo:
    """Spend points on a reward. Points and stock change together, never below
    zero; a retry with the same `idempotency_key` returns the first redemption
    (`replayed`) and spends nothing. Raises UnknownReward,
    InsufficientPoints, OutOfStock (409), RedemptionKeyReused."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(fields={"quantity": [f"1-{MAX_QUANTITY}"]})
    now = now or timezone.now()
    detail = {"reward": str(reward_code)[:20], "quantity": quantity}
    with action_log(origin, "points_redeem", phone=phone, detail=detail) as entry:
        redemption = get_carrier().redeem(phone, reward_code, quantity, idempotency_key=idempotency_key, at=now)
        entry.detail.update(
            redemption_id=redemption.id, points_spent=redemption.points_spent, replayed=redemption.replayed
        )
    return redemption


def redemption_history(*, phone: str, origin: Origin, limit: int = 100) -> list[RedemptionInfo]:
    with action_log(origin, "points_history", phone=phone):
        return get_carrier().redemptions(phone, limit=limit)

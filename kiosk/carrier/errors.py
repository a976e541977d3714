"""What the carrier gateway raises: part of its interface. Every
implementation raises these, and the self-service API renders them as they
are (the codes are in CONTRACT.md)."""

from config.api import DomainError


class SubscriberNotFound(DomainError):
    code = "subscriber_not_found"
    message = "该号码不是本网有效用户 / This number is not an active subscriber."
    status = 404


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    message = "积分不足 / Not enough points."
    status = 409


class OutOfStock(DomainError):
    code = "out_of_stock"
    message = "礼品库存不足 / Not enough of this reward left."
    status = 409


class UnknownReward(DomainError):
    code = "unknown_reward"
    message = "没有这个礼品 / No such reward."
    status = 400


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    message = "话费余额不足，请先缴费 / The balance is too low; top up first."
    status = 409


class UnknownPack(DomainError):
    code = "unknown_pack"
    message = "没有这个流量包，可选 G5、G10、G20、G30、G50 / No such data pack: G5, G10, G20, G30 or G50."
    status = 400


class UnknownVas(DomainError):
    code = "unknown_vas"
    message = "没有这项增值业务 / No such value-added service."
    status = 400


class VasNotSubscribed(DomainError):
    code = "vas_not_subscribed"
    message = "您未订购该业务 / You are not subscribed to this service."
    status = 404


class VasAlreadySubscribed(DomainError):
    code = "vas_already_subscribed"
    message = "您已订购该业务 / You are already subscribed to this service."
    status = 409


class NumberUnavailable(DomainError):
    code = "number_unavailable"
    message = "该号码已被选走 / This number is not available."
    status = 409


class HoldLimitReached(DomainError):
    code = "number_hold_limit"
    message = "您已预占的号码过多，请先购买或释放已选号码 / You already hold as many numbers as allowed; buy or release one first."
    status = 409


class HoldInvalid(DomainError):
    code = "hold_invalid"
    message = "号码预占已失效或不属于您，请重新选号 / The hold has expired or is not yours."
    status = 409


class UnknownPlan(DomainError):
    code = "unknown_plan"
    message = "没有这个套餐 / No such plan."
    status = 400


class RedemptionKeyReused(DomainError):
    """A redemption's Idempotency-Key sent again for another reward or quantity."""

    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."
    status = 409


class PackKeyReused(DomainError):
    """A data pack purchase's Idempotency-Key sent again for another pack."""

    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."
    status = 409

"""The self-service API's error codes (CONTRACT.md). The carrier gateway raises
these too: they are part of its interface."""

from config.api import DomainError


class OtpInvalid(DomainError):
    code = "otp_invalid"
    message = "验证码不正确 / The code is not correct."
    status = 400


class OtpExpired(DomainError):
    code = "otp_expired"
    message = "验证码已失效，请重新获取 / The code has expired or was tried too often; ask for a new one."
    status = 400


class OtpTooSoon(DomainError):
    code = "otp_resend_too_soon"
    message = "验证码已发送，请1分钟后再试 / A code was just sent; ask again in a minute."
    status = 429


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


class ConfirmationNotFound(DomainError):
    code = "not_found"
    message = "没有这个确认请求 / No such confirmation."
    status = 404


class ConfirmationExpired(DomainError):
    code = "confirmation_expired"
    message = "确认已超时，业务未订购 / The confirmation has expired; nothing was subscribed."
    status = 410


class NumberUnavailable(DomainError):
    code = "number_unavailable"
    message = "该号码已被选走 / This number is not available."
    status = 409


class HoldInvalid(DomainError):
    code = "hold_invalid"
    message = "号码预占已失效或不属于您，请重新选号 / The hold has expired or is not yours."
    status = 409


class UnknownPlan(DomainError):
    code = "unknown_plan"
    message = "没有这个套餐 / No such plan."
    status = 400


class OrderNotFound(DomainError):
    code = "not_found"
    message = "没有这个订单 / No such order."
    status = 404


class AmountMismatch(DomainError):
    code = "amount_mismatch"
    message = "The amount paid does not match the order."
    status = 409


class PaymentConflict(DomainError):
    code = "txn_conflict"
    message = "This transaction id was already used for another order."
    status = 409


class BadSignature(DomainError):
    code = "bad_signature"
    message = "The callback signature is not valid."
    status = 403


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."
    status = 409


class WrongHall(DomainError):
    code = "permission_denied"
    message = "该终端不属于此营业厅 / This kiosk belongs to another hall."
    status = 403


class PrinterUnavailable(DomainError):
    code = "printer_unavailable"
    message = "打印机暂时无法使用，您的号码已保存，可重新打印或扫码查看 / The printer is not available. Your ticket is saved: print again or scan the code."
    status = 503

"""The self-service API's own error codes (CONTRACT.md). What the carrier
gateway raises is defined with its interface, in kiosk.carrier.errors."""

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


class ConfirmationNotFound(DomainError):
    code = "not_found"
    message = "没有这个确认请求 / No such confirmation."
    status = 404


class ConfirmationExpired(DomainError):
    code = "confirmation_expired"
    message = "确认已超时，业务未订购 / The confirmation has expired; nothing was subscribed."
    status = 410


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


# What a print job that ended without printing says (kiosk.services.receipts):
# stored on the job and shown at the kiosk, never raised to a request.


class PrintTimedOut(DomainError):
    code = "print_timeout"
    message = "打印超时，未能打印，请重新打印或扫码查看 / Printing took too long and nothing was printed. Print again or scan the code."
    status = 503


class PrintInterrupted(DomainError):
    code = "print_interrupted"
    message = "打印中断，请检查是否已出票，可重新打印或扫码查看 / Printing was interrupted. Check for your receipt, print again or scan the code."
    status = 503


class PrintJobNotFound(DomainError):
    code = "not_found"
    message = "没有这个打印任务 / No such print job."
    status = 404

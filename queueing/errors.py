from config.api import DomainError


class IllegalTransition(DomainError):
    code = "illegal_transition"
    message = "This ticket cannot make that change in its current state."
    status = 409


class CounterNotOpen(DomainError):
    code = "counter_not_open"
    message = "窗口未开启 / The counter is not open."
    status = 409


class CounterBusy(DomainError):
    code = "counter_busy"
    message = "请先办结或转移当前号码 / Finish or transfer the current ticket first."
    status = 409


class NoCurrentTicket(DomainError):
    code = "no_current_ticket"
    message = "窗口当前没有号码 / The counter has no current ticket."
    status = 409


class CounterInUse(DomainError):
    code = "counter_in_use"
    message = "该窗口已有其他营业员登录 / Another agent is signed in to this counter."
    status = 409


class SignedInElsewhere(DomainError):
    code = "signed_in_elsewhere"
    message = "您已登录其他窗口，请先关闭 / You are signed in to another counter; close it first."
    status = 409


class DailyCapReached(DomainError):
    code = "daily_cap_reached"
    message = "今日该业务号已取完 / Today's tickets for this service are all taken."
    status = 409


class SameService(DomainError):
    code = "same_service"
    message = "号码已在该业务队列 / The ticket is already in that service's queue."
    status = 409


class PhoneLimitReached(DomainError):
    code = "phone_limit_reached"
    message = "该手机号今日取号次数已达上限 / This phone number has taken the most tickets allowed today."
    status = 429


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."
    status = 409


class TicketNotDone(DomainError):
    code = "ticket_not_done"
    message = "业务办理完成后才能评价 / A ticket can be rated only after its service is done."
    status = 409


class AlreadyRated(DomainError):
    code = "already_rated"
    message = "您已评价过本次服务 / This ticket has already been rated."
    status = 409


class NotReinstatable(DomainError):
    code = "not_reinstatable"
    message = "该号码不能顺延 / This ticket cannot be reinstated."
    status = 409


class DisplayTokenInvalid(DomainError):
    code = "display_token_invalid"
    message = "显示屏令牌无效，请重新注册 / This display's token is missing or wrong; register it again."
    status = 403

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
# --- Presence: stepping away and checking in (queueing.services.presence) ----


class NotArrived(DomainError):
    code = "not_arrived"
    message = "请先到店签到 / Check in at the hall first."
    status = 409


class AlreadyAway(DomainError):
    code = "already_away"
    message = "您已暂离 / You have already stepped away."
    status = 409


class NotAway(DomainError):
    code = "not_away"
    message = "您没有暂离 / You have not stepped away."
    status = 409


class StepAwayLimit(DomainError):
    code = "step_away_limit"
    message = "本号暂离次数已用完 / This ticket cannot step away again."
    status = 409


class TicketNotFound(DomainError):
    code = "ticket_not_found"
    message = "未找到该号码，请核对号码和手机尾号 / No such ticket; check the number and the phone's last four digits."
    status = 404


class OtherHallTicket(DomainError):
    code = "other_hall"
    message = "该号码不是本营业厅的 / This ticket is for another hall."
    status = 409


class HallKeyInvalid(DomainError):
    code = "hall_key_invalid"
    message = "签到码无效，请扫描营业厅内的签到码 / This check-in code is not valid; scan the code in the hall."
    status = 400


class HallKeyExpired(DomainError):
    code = "hall_key_expired"
    message = "签到码已过期，请扫描营业厅内今天的签到码 / This check-in code has expired; scan today's code in the hall."
    status = 400


class TooFar(DomainError):
    code = "too_far"
    message = "您离营业厅还有些距离，到店后再签到 / You are not at the hall yet; check in when you arrive."
    status = 409


class HallWithoutLocation(DomainError):
    code = "hall_without_location"
    message = "该营业厅不支持定位签到，请在取号机或扫码签到 / This hall cannot check you in by location; use the kiosk or the code in the hall."
    status = 409


class DisplayTokenInvalid(DomainError):
    code = "display_token_invalid"
    message = "显示屏令牌无效，请重新注册 / This display's token is missing or wrong; register it again."
    status = 403

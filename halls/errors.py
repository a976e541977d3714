from config.api import DomainError


class HallClosed(DomainError):
    code = "hall_closed"
    message = "营业厅当前不在营业时间内 / The hall is closed now."
    status = 409


class NoQueue(DomainError):
    code = "no_queue"
    message = "该网点不提供排队叫号 / This outlet has no queue."
    status = 409


class UnknownService(DomainError):
    code = "unknown_service"
    message = "该网点不办理此业务 / This hall does not offer that service."
    status = 400

from config.api import DomainError


class SlotFull(DomainError):
    code = "slot_full"
    message = "该时段已约满，请选择其他时段 / This slot is fully booked; please choose another."
    status = 409


class NotInWindow(DomainError):
    code = "not_in_window"
    message = "当前不在签到时间内 / This booking cannot be checked in now."
    status = 409


class AppointmentLimitReached(DomainError):
    code = "appointment_limit_reached"
    message = "您的有效预约已达上限，请先取消或完成已有预约 / You hold as many bookings as allowed; cancel or use one first."
    status = 409


class AlreadyBooked(DomainError):
    code = "already_booked"
    message = "您已预约该时段 / You have already booked this slot."
    status = 409


class AppointmentNotActive(DomainError):
    code = "appointment_not_active"
    message = "该预约已签到、取消或过期，不能再更改 / This booking is checked in, cancelled or over; it cannot change."
    status = 409

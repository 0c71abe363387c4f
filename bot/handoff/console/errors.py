"""The errors the console's work raises, as HTTP statuses and messages an operator can read.

The queue's errors are in Chinese already; the work-order and booking lifecycles speak English
to logs and APIs, so their errors are put into Chinese here, by class."""

from __future__ import annotations

from bot.booking import lifecycle
from bot.handoff import queue, rasa_api
from bot.handoff.console.web import ConsoleError
from bot.hotline import texts, workorders

ACTIONS = {"dispatch": "派单", "confirm": "确认", "fail": "标记失败"}


def _invalid_order(error: workorders.InvalidTransition) -> str:
    status = texts.STATUS.get(error.status, error.status)
    return f"工单{error.number}当前状态为“{status}”,不能{ACTIONS.get(error.action, error.action)}"


def _invalid_booking(error: lifecycle.InvalidBookingTransition) -> str:
    return f"预订{error.reference}已处理过(当前状态:{error.status}),不能再{ACTIONS.get(error.action, error.action)}"


def as_console_error(error: Exception) -> ConsoleError | None:
    """The console's answer to an error of the work it asked for; None if not one of those."""
    match error:
        case ConsoleError():
            return error
        case queue.RequestNotFound():
            return ConsoleError(404, str(error))
        case queue.AlreadyClaimed():
            return ConsoleError(409, str(error))
        case queue.NotOwner():
            return ConsoleError(403, str(error))
        case queue.HandoffError():
            return ConsoleError(400, str(error))
        case rasa_api.RasaUnavailable():
            return ConsoleError(502, str(error))
        case workorders.OrderNotFound():
            return ConsoleError(404, "没有该工单")
        case workorders.InvalidTransition():
            return ConsoleError(409, _invalid_order(error))
        case workorders.WorkOrderError():
            return ConsoleError(400, "请选择承办单位后再派单")
        case lifecycle.BookingNotFound():
            return ConsoleError(404, "没有该预订")
        case lifecycle.NotAHotelBooking():
            return ConsoleError(409, "会议和机票预订的结果请致电客户告知,这里只处理酒店预订")
        case lifecycle.InvalidBookingTransition():
            return ConsoleError(409, _invalid_booking(error))
        case lifecycle.MissingPrice():
            return ConsoleError(400, "请填写酒店给出的单价")
        case lifecycle.HotelNotNamed():
            return ConsoleError(400, "客人未指定酒店,请填写实际预订的酒店名称")
        case lifecycle.UnknownFailReason():
            return ConsoleError(400, "请选择预订失败的原因")
        case lifecycle.NoAlternatives():
            return ConsoleError(400, "请至少推荐一家其他酒店")
    return None
